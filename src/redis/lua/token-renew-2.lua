-- Moves a live token's expiry and records when it was renewed.
-- KEYS[1] token hash   KEYS[2] expiry index (zset)
-- ARGV[1] token id   ARGV[2] new expire ms   ARGV[3] gc-at ms   ARGV[4] now ms
-- Returns 1 renewed, -1 missing or expired.
local exp = redis.call('HGET', KEYS[1], 'exp')
if not exp then return -1 end
exp = tonumber(exp)
if exp > 0 and exp <= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], 'exp', ARGV[2], 'renewed', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
