--[[
  Claims due plugin jobs (same machinery as lease-claim): the score moves to the claim deadline.
  KEYS[1] jobs due set (member "mount|plugin|jobId")
  ARGV[1] now (ms)   ARGV[2] claim deadline (ms)   ARGV[3] batch size
  Returns the claimed members.
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return ids
