--[[
  The target answers again: up to ARGV[3] of its waiting revocations become due now. Only a lease
  still due exactly at the retry its failure was given moves: one a reaper has claimed since
  (due at its claim deadline) or that is gone is left alone, so no two reapers revoke one lease
  at once. The down marker goes with the last slice.
  KEYS[1] down targets (hash)   KEYS[2] the target's waiting leases (zset)   KEYS[3] due set
  ARGV[1] target   ARGV[2] now (ms)   ARGV[3] slice size
  Returns {moved, left}: left is 0 once the waiting set is empty and the marker removed.
]]
local now = tonumber(ARGV[2])
local entries = redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1, 'WITHSCORES')
local moved = 0
for i = 1, #entries, 2 do
  local id = entries[i]
  local due = redis.call('ZSCORE', KEYS[3], id)
  if due and tonumber(due) == tonumber(entries[i + 1]) and tonumber(due) > now then
    redis.call('ZADD', KEYS[3], now, id)
    moved = moved + 1
  end
  redis.call('ZREM', KEYS[2], id)
end
local left = redis.call('ZCARD', KEYS[2])
if left == 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return {moved, left}
