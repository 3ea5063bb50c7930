--[[
  A renewal that holds the lease (lease-renew-begin) and has moved the credential's own expiry
  records the new expiry and lets go. A revocation asked for meanwhile wins: the lease keeps its
  revocation schedule and the renewal is refused.
  KEYS[1] lease record   KEYS[2] due set   KEYS[3] revoking set
  ARGV[1] lease id   ARGV[2] this renewal's token   ARGV[3] renewal time (ms)   ARGV[4] new expire (ms)
  Returns 1; -1 lease gone; -4 being revoked; -6 the hold was lost (it lapsed and another
  renewal took the lease).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'renewing') ~= ARGV[2] then return -6 end
redis.call('HDEL', KEYS[1], 'renewing', 'renew_until')
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return -4 end
redis.call('HSET', KEYS[1], 'expire', ARGV[4], 'renewed', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
