-- Takes one use of a token, atomically: of twenty racing requests on a one-use token exactly
-- one gets it.
-- KEYS[1] token hash   ARGV[1] now ms
-- Returns {1, last(0|1), usesLeft} or {-1} missing, {-2} expired, {-3} used up.
local v = redis.call('HMGET', KEYS[1], 'uses', 'exp')
if not v[1] then return {-1} end
local exp = tonumber(v[2])
if exp > 0 and exp <= tonumber(ARGV[1]) then return {-2} end
local uses = tonumber(v[1])
if uses == 0 then return {1, 0, 0} end
if uses < 0 then return {-3} end
if uses == 1 then
  redis.call('HSET', KEYS[1], 'uses', -1)
  return {1, 1, 0}
end
redis.call('HSET', KEYS[1], 'uses', uses - 1)
return {1, 0, uses - 1}
