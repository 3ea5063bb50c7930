-- Takes one use of an AppRole secret ID, atomically (twenty racing logins on a one-use secret
-- ID: exactly one succeeds). The last use deletes the secret ID.
-- KEYS[1] secret-id hash   KEYS[2] its accessor key   ARGV[1] role name   ARGV[2] now ms
-- Returns 1 ok, 0 missing / expired / used up / bound to another role.
local v = redis.call('HMGET', KEYS[1], 'role', 'uses', 'exp')
if not v[1] or v[1] ~= ARGV[1] then return 0 end
local exp = tonumber(v[3])
if exp > 0 and exp <= tonumber(ARGV[2]) then return 0 end
local uses = tonumber(v[2])
if uses == 0 then return 1 end
if uses == 1 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
redis.call('HSET', KEYS[1], 'uses', uses - 1)
return 1
