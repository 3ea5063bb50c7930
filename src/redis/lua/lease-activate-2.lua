--[[
  Turns a pending lease active once the engine has created the credential. A lease whose
  revocation was asked for while it was pending (its token revoked, a revoke-prefix) is not
  activated: a reaper may have run its revocation before the credential existed, so the issuer
  must revoke what it created. Its internal data is kept for that revocation.
  KEYS[1] lease record   KEYS[2] revoking set
  ARGV[1] sealed internal data ('' for none)   ARGV[2] lease id
  Returns 1; -1 if the lease is gone (revoked meanwhile); -2 if it is no longer pending;
  -3 if its revocation was asked for.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return -2 end
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[1], 'internal', ARGV[1])
  return -3
end
redis.call('HSET', KEYS[1], 'state', 'active', 'internal', ARGV[1])
return 1
