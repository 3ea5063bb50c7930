--[[
  Turns a pending lease active once the engine has created the credential.
  KEYS[1] lease record
  ARGV[1] sealed internal data ('' for none)
  Returns 1; -1 if the lease is gone (revoked meanwhile); -2 if it is no longer pending.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return -2 end
redis.call('HSET', KEYS[1], 'state', 'active', 'internal', ARGV[1])
return 1
