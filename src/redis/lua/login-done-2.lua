-- A login admitted by login-limit-3.lua is done: it leaves the in-flight count, and a failure
-- counts against the username for the window (the count and its expiry set together, so a
-- crash between them cannot leave a counter that never expires).
-- KEYS[1] per-username failures   KEYS[2] per-username in flight
-- ARGV[1] '1' if the password was wrong, else '0'   ARGV[2] window ms
-- Returns the failures in the window.
local inflight = tonumber(redis.call('GET', KEYS[2]) or '0')
if inflight > 0 then redis.call('DECR', KEYS[2]) end
if ARGV[1] ~= '1' then return tonumber(redis.call('GET', KEYS[1]) or '0') end
local f = redis.call('INCR', KEYS[1])
if f == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return f
