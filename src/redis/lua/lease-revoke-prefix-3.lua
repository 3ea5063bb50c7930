--[[
  revoke-prefix, one slice at a time so Redis is never blocked long: every lease whose id sorts
  after the cursor and starts with the prefix becomes due now and joins the revoking set.
  Irrevocable leases (not in the due set) are left alone: revoke-force is for them. A lease
  already revoking keeps its schedule (and any reaper's claim on it). Variadic commands keep
  this to five calls per slice (ARGV[4] at most 2,000: Lua's unpack limit).
  KEYS[1] all leases   KEYS[2] due set   KEYS[3] revoking set
  ARGV[1] lex start ('[prefix' or '(cursor')   ARGV[2] lex end ('[prefix\xff')   ARGV[3] now (ms)
  ARGV[4] slice size
  Returns {count marked, last id seen or ''}.
]]
local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
if #ids == 0 then return {0, ''} end
local scores = redis.call('ZMSCORE', KEYS[2], unpack(ids))
local revoking = redis.call('SMISMEMBER', KEYS[3], unpack(ids))
local mark, due = {}, {}
for i, id in ipairs(ids) do
  if scores[i] and revoking[i] == 0 then
    mark[#mark + 1] = id
    due[#due + 1] = ARGV[3]
    due[#due + 1] = id
  end
end
if #mark > 0 then
  redis.call('SADD', KEYS[3], unpack(mark))
  -- LT: only ever brings a lease forward (one already due keeps its earlier score).
  redis.call('ZADD', KEYS[2], 'LT', unpack(due))
end
return {#mark, ids[#ids]}
