--[[
  Adds a lease to a token's index (the cascade of an ancestor token), keeping the index alive at
  least as long as this lease's record (garbage collection only; readers skip missing leases).
  KEYS[1] token index (set)
  ARGV[1] lease id   ARGV[2] how long the index must live at least (ms)
  Returns 1.
]]
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 and ttl < tonumber(ARGV[2]) or ttl == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
