--[[
  Records a failed revocation: retried at ARGV[3], or irrevocable after the last attempt
  (or at once when ARGV[6] is 'final': the engine said it can never succeed). An 'extra'
  failure (a caller's synchronous try between the reaper's) spends no attempt.
  KEYS[1] lease record   KEYS[2] due set   KEYS[3] irrevocable set   KEYS[4] revoking set
  ARGV[1] lease id   ARGV[2] now (ms)   ARGV[3] next attempt (ms)   ARGV[4] max attempts
  ARGV[5] error message (scrubbed)   ARGV[6] 'attempt' | 'extra' | 'final'
  Returns {attempts, 1 if irrevocable else 0}, or {0, -1} if the lease is gone.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, -1} end
local attempts
if ARGV[6] == 'extra' then
  attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
else
  attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
end
redis.call('HSET', KEYS[1], 'error', ARGV[5])
if ARGV[6] == 'final' or (ARGV[6] == 'attempt' and attempts >= tonumber(ARGV[4])) then
  redis.call('HSET', KEYS[1], 'state', 'irrevocable')
  redis.call('PERSIST', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  return {attempts, 1}
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return {attempts, 0}
