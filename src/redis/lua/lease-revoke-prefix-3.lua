--[[
  revoke-prefix, one slice at a time so Redis is never blocked long: every lease whose id sorts
  after the cursor and starts with the prefix becomes due now and joins the revoking set.
  Irrevocable leases (not in the due set) are left alone: revoke-force is for them. A lease
  already revoking keeps its schedule (and any reaper's claim on it).
  KEYS[1] all leases   KEYS[2] due set   KEYS[3] revoking set
  ARGV[1] lex start ('[prefix' or '(cursor')   ARGV[2] lex end ('[prefix\xff')   ARGV[3] now (ms)
  ARGV[4] slice size
  Returns {count marked, last id seen or ''}.
]]
local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
local now = tonumber(ARGV[3])
local n = 0
for _, id in ipairs(ids) do
  local score = redis.call('ZSCORE', KEYS[2], id)
  if score and redis.call('SADD', KEYS[3], id) == 1 then
    if tonumber(score) > now then redis.call('ZADD', KEYS[2], now, id) end
    n = n + 1
  end
end
return {n, ids[#ids] or ''}
