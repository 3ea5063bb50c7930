-- Admits a login before its credentials are checked, or refuses it (429). A guesser is held to a
-- few failures per (subject, address), so the same subject logging in from elsewhere is never
-- locked out by someone else's guesses; a looser failure bound per address stops one address
-- trying many subjects. Guesses sent at once all see no failures yet, so at most an in-flight
-- cap of them per (subject, address) are checked together. The subject is a username or a role ID.
-- An admitted login stays in flight until login-done-3.lua.
-- KEYS[1] per-address attempts   KEYS[2] per-address failures
-- KEYS[3] per-(subject, address) failures   KEYS[4] per-(subject, address) in flight
-- ARGV[1] address window ms   ARGV[2] max attempts per address (0: not counted)
-- ARGV[3] max failures per address   ARGV[4] max failures per (subject, address)
-- ARGV[5] max in flight per (subject, address)
-- Returns 1 if the attempt must be refused (nothing left in flight), else 0.
local maxAttempts = tonumber(ARGV[2])
if maxAttempts > 0 then
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  if n > maxAttempts then return 1 end
end
local addressFailures = tonumber(redis.call('GET', KEYS[2]) or '0')
local failures = tonumber(redis.call('GET', KEYS[3]) or '0')
local inflight = tonumber(redis.call('GET', KEYS[4]) or '0')
if addressFailures >= tonumber(ARGV[3]) or failures >= tonumber(ARGV[4]) or inflight >= tonumber(ARGV[5]) then return 1 end
redis.call('INCR', KEYS[4])
-- A process that dies mid-login leaves its count behind for one window at most.
redis.call('PEXPIRE', KEYS[4], ARGV[1])
return 0
