--[[
  A renewal that failed (the engine refused or did not answer) lets go of the lease unchanged.
  A reaper that found the lease held put it back due at the hold's end: it becomes due at its
  own expiry again, so an expired lease is revoked without waiting out the hold.
  KEYS[1] lease record   KEYS[2] due set   KEYS[3] revoking set
  ARGV[1] lease id   ARGV[2] this renewal's token   ARGV[3] the hold's end (ms), as begun
  Returns 1, or 0 if this renewal no longer held the lease.
]]
if redis.call('HGET', KEYS[1], 'renewing') ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], 'renewing', 'renew_until')
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 0 and tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '-1') == tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'expire'), ARGV[1])
end
return 1
