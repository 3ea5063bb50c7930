--[[
  Moves an active lease's expiry (the caller has applied the max-TTL cap).
  KEYS[1] lease record   KEYS[2] due set   KEYS[3] revoking set
  ARGV[1] lease id   ARGV[2] now (ms)   ARGV[3] new expire (ms)
  Returns 1; -1 lease gone; -2 not active (pending or irrevocable); -3 expired; -4 being revoked.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return -4 end
if redis.call('HGET', KEYS[1], 'state') ~= 'active' then return -2 end
if tonumber(redis.call('HGET', KEYS[1], 'expire')) <= tonumber(ARGV[2]) then return -3 end
redis.call('HSET', KEYS[1], 'expire', ARGV[3], 'renewed', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
