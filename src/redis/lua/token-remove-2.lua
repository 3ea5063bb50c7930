-- Removes one token record (its children are walked by the caller afterwards); removal comes
-- first so no new child can be linked under it (token-create checks the parent).
-- KEYS[1] token hash   KEYS[2] expiry index (zset)   ARGV[1] token id
-- Returns the record JSON, or false if it was already gone.
local rec = redis.call('HGET', KEYS[1], 'rec')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return rec
