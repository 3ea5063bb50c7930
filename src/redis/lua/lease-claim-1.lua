--[[
  Claims up to ARGV[3] due leases for one reaper: their score moves to the claim deadline, so no
  other replica takes them until it passes (a replica killed mid-batch loses its claims then).
  KEYS[1] due set
  ARGV[1] now (ms)   ARGV[2] claim deadline (ms)   ARGV[3] batch size
  Returns the claimed lease ids.
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return ids
