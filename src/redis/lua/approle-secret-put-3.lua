-- Registers an AppRole secret ID only if its hash is not registered yet, so two racing
-- custom-secret-id calls with the same value leave one record and one accessor, not a record
-- pointing at one accessor and a second, dangling accessor.
-- KEYS[1] secret-id hash   KEYS[2] its accessor key   KEYS[3] the role's accessor set
-- ARGV[1] record json   ARGV[2] role   ARGV[3] uses   ARGV[4] expire ms (0 = never)
-- ARGV[5] the hash      ARGV[6] accessor   ARGV[7] key expiry ms since epoch (0 = none)
-- Returns 1 registered, 0 already registered.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[1], 'role', ARGV[2], 'uses', ARGV[3], 'exp', ARGV[4])
redis.call('SET', KEYS[2], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[6])
local gcAt = tonumber(ARGV[7])
if gcAt > 0 then
  redis.call('PEXPIREAT', KEYS[1], gcAt)
  redis.call('PEXPIREAT', KEYS[2], gcAt)
end
return 1
