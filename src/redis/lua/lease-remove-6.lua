--[[
  Forgets a lease after its credential was revoked (or on revoke-force).
  KEYS[1] lease record   KEYS[2] due set   KEYS[3] all leases   KEYS[4] live counts
  KEYS[5] irrevocable set   KEYS[6] revoking set
  (Token indexes are cleaned lazily: they expire, and readers skip ids whose record is gone.)
  ARGV[1] lease id
  Returns 1, or 0 if it was already gone (a second reaper after a claim timeout).
]]
local existed = redis.call('EXISTS', KEYS[1])
if existed == 1 then
  local field = redis.call('HGET', KEYS[1], 'count')
  if field and redis.call('HINCRBY', KEYS[4], field, -1) <= 0 then redis.call('HDEL', KEYS[4], field) end
  redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('SREM', KEYS[6], ARGV[1])
return existed
