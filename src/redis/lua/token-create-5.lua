-- Stores a new token and links it under its parent, atomically with the check that the parent
-- still exists: a child can never be created under a parent that is being revoked.
-- KEYS[1] token hash   KEYS[2] accessor key   KEYS[3] parent token hash (ignored if ARGV[6] == '')
-- KEYS[4] parent's children set   KEYS[5] expiry index (zset)
-- ARGV[1] record JSON  ARGV[2] uses  ARGV[3] expire ms (0 never)  ARGV[4] gc-at ms (0 none)
-- ARGV[5] token id     ARGV[6] parent id or ''   ARGV[7] now ms
-- Returns 1 created, -1 parent missing or expired, -2 a token with this id exists (a chosen id
-- or a root token two replicas bootstrap at once: overwriting would leave the first accessor
-- pointing at the second token).
if redis.call('EXISTS', KEYS[1]) == 1 then return -2 end
if ARGV[6] ~= '' then
  local pexp = redis.call('HGET', KEYS[3], 'exp')
  if not pexp then return -1 end
  pexp = tonumber(pexp)
  if pexp > 0 and pexp <= tonumber(ARGV[7]) then return -1 end
  redis.call('SADD', KEYS[4], ARGV[5])
end
redis.call('HSET', KEYS[1], 'rec', ARGV[1], 'uses', ARGV[2], 'exp', ARGV[3])
redis.call('SET', KEYS[2], ARGV[5])
if tonumber(ARGV[4]) > 0 then
  redis.call('PEXPIREAT', KEYS[1], ARGV[4])
  redis.call('PEXPIREAT', KEYS[2], ARGV[4])
end
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[5], ARGV[3], ARGV[5])
end
return 1
