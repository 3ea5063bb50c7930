--[[
  A job finished: forget it unless it was rescheduled while it ran (its score is no longer our claim).
  KEYS[1] jobs due set
  ARGV[1] member   ARGV[2] our claim deadline (ms)
  Returns 1 if removed, 0 if kept (rescheduled) or gone.
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
