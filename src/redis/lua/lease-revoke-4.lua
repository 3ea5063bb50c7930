--[[
  Asks for a lease's revocation: it joins the revoking set and becomes due at ARGV[3]
  (now for the reaper, or now + claim timeout when the caller revokes it itself, holding the claim).
  An irrevocable lease is given a fresh round of attempts.
  KEYS[1] lease record   KEYS[2] due set   KEYS[3] revoking set   KEYS[4] irrevocable set
  ARGV[1] lease id   ARGV[2] now (ms)   ARGV[3] due at (ms)
  Returns 1, or 0 if there is no such lease.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'state') == 'irrevocable' then
  redis.call('HSET', KEYS[1], 'state', 'active', 'attempts', '0')
  redis.call('ZREM', KEYS[4], ARGV[1])
end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
