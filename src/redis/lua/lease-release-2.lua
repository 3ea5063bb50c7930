--[[
  Gives back a claimed lease that turned out not to be due (renewed in between): due at its expiry.
  KEYS[1] lease record   KEYS[2] due set
  ARGV[1] lease id
  Returns 1, or 0 if the lease is gone.
]]
local expire = redis.call('HGET', KEYS[1], 'expire')
if not expire then return 0 end
redis.call('ZADD', KEYS[2], expire, ARGV[1])
return 1
