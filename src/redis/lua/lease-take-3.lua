--[[
  A reaper that claimed a due lease takes ownership of its revocation, or gives it back. A lease
  whose revocation was asked for is taken as it is. Otherwise it is taken only if it has expired
  by ARGV[2] and no renewal holds it; taking marks it revoking, so a renewal arriving later is
  refused and never touches the credential. A lease renewed since it fell due goes back due at
  its new expiry; one a renewal holds, due when the hold ends (the renewal then sets it).
  KEYS[1] lease record   KEYS[2] due set   KEYS[3] revoking set
  ARGV[1] lease id   ARGV[2] now (ms)
  Returns 1 taken; 0 renewed (given back); -1 gone; -2 a renewal holds it (given back).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 1 end
local now = tonumber(ARGV[2])
if redis.call('HGET', KEYS[1], 'state') == 'active' then
  local held = redis.call('HGET', KEYS[1], 'renew_until')
  if held and tonumber(held) > now then
    redis.call('ZADD', KEYS[2], held, ARGV[1])
    return -2
  end
  local expire = redis.call('HGET', KEYS[1], 'expire')
  if tonumber(expire) > now then
    redis.call('ZADD', KEYS[2], expire, ARGV[1])
    return 0
  end
end
redis.call('SADD', KEYS[3], ARGV[1])
return 1
