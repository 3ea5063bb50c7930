--[[
  A renewal takes ownership of a lease before it touches the credential: the lease must be
  active, not being revoked (a reaper that took it marked it so), unexpired by ARGV[2] and not
  held by another renewal. The hold lapses at ARGV[3], so a renewal that died does not pin the
  lease: a reaper waits for it until then, and no longer.
  KEYS[1] lease record   KEYS[2] due set   KEYS[3] revoking set
  ARGV[1] lease id   ARGV[2] now (ms)   ARGV[3] hold until (ms)   ARGV[4] this renewal's token
  Returns 1; -1 lease gone; -2 not active (pending or irrevocable); -3 expired; -4 being revoked;
  -5 another renewal holds it.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local now = tonumber(ARGV[2])
if tonumber(redis.call('HGET', KEYS[1], 'expire')) <= now then return -3 end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return -4 end
if redis.call('HGET', KEYS[1], 'state') ~= 'active' then return -2 end
local held = tonumber(redis.call('HGET', KEYS[1], 'renew_until') or '0') or 0
if held > now then return -5 end
redis.call('HSET', KEYS[1], 'renewing', ARGV[4], 'renew_until', ARGV[3])
return 1
