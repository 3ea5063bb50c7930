-- Counts a login attempt from an address and checks the username's recent failures.
-- KEYS[1] per-address counter   KEYS[2] per-username failure counter
-- ARGV[1] window ms   ARGV[2] max attempts per address   ARGV[3] max failures per username
-- Returns 1 if the attempt must be refused (429), else 0.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local f = tonumber(redis.call('GET', KEYS[2]) or '0')
if n > tonumber(ARGV[2]) or f >= tonumber(ARGV[3]) then return 1 end
return 0
