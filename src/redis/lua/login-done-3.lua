-- A login admitted by login-limit-4.lua is done: it leaves the in-flight count. A failure counts
-- against the address for the window and against (subject, address) for the lockout; a success
-- clears the latter, as Vault's user lockout resets on a good login. Each count and its expiry
-- are set together, so a crash between them cannot leave a counter that never expires.
-- KEYS[1] per-address failures   KEYS[2] per-(subject, address) failures
-- KEYS[3] per-(subject, address) in flight
-- ARGV[1] 'failed', 'ok' or 'error' (neither: a dependency failed)   ARGV[2] address window ms
-- ARGV[3] lockout ms
-- Returns the (subject, address) failures now counted.
local inflight = tonumber(redis.call('GET', KEYS[3]) or '0')
if inflight > 0 then redis.call('DECR', KEYS[3]) end
if ARGV[1] == 'ok' then
  redis.call('DEL', KEYS[2])
  return 0
end
if ARGV[1] ~= 'failed' then return tonumber(redis.call('GET', KEYS[2]) or '0') end
local a = redis.call('INCR', KEYS[1])
if a == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local f = redis.call('INCR', KEYS[2])
if f == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return f
