-- Counts a login attempt from an address and checks the username before any password is
-- hashed: refused when it has failed too often in this window, or when too many of its logins
-- are being checked right now. The second bound is what stops a burst: guesses sent at once
-- all see a failure count of zero, but no more than the in-flight cap of them get checked.
-- An admitted attempt is counted in flight until login-done-2.lua.
-- KEYS[1] per-address counter   KEYS[2] per-username failures   KEYS[3] per-username in flight
-- ARGV[1] window ms   ARGV[2] max attempts per address   ARGV[3] max failures per username
-- ARGV[4] max logins of one username in flight
-- Returns 1 if the attempt must be refused (429; nothing left in flight), else 0.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local f = tonumber(redis.call('GET', KEYS[2]) or '0')
local inflight = tonumber(redis.call('GET', KEYS[3]) or '0')
if n > tonumber(ARGV[2]) or f >= tonumber(ARGV[3]) or inflight >= tonumber(ARGV[4]) then return 1 end
redis.call('INCR', KEYS[3])
-- A process that dies mid-login leaves its count behind for one window at most.
redis.call('PEXPIRE', KEYS[3], ARGV[1])
return 0
