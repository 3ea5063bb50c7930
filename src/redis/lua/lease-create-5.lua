--[[
  Writes a new lease (intent first: usually state "pending") and indexes it.
  KEYS[1] lease record (hash)       KEYS[2] due set (zset, score = when the reaper should act)
  KEYS[3] all leases (zset, lex)    KEYS[4] live counts (hash, field = "mount|role")
  KEYS[5] issuing token's index (set)
  ARGV[1] lease id   ARGV[2] record JSON (immutable part)   ARGV[3] state
  ARGV[4] expire (ms)   ARGV[5] count field   ARGV[6] how long to keep the record (ms, garbage
  collection well past its max expiry; relative, as lessor's clock may not be Redis's)
  Returns 1, or -1 if a lease with this id already exists.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'state', ARGV[3], 'expire', ARGV[4], 'renewed', '',
  'attempts', '0', 'error', '', 'internal', '', 'count', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
redis.call('SADD', KEYS[5], ARGV[1])
-- The index lives as long as the longest lease in it (garbage collection only).
local ttl = redis.call('PTTL', KEYS[5])
if ttl == -1 or ttl < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[5], ARGV[6]) end
return 1
