-- Replaces a token's record if it is still the one the caller read (revoke-orphan rewriting a
-- descendant's parent and ancestors; two revoke-orphans walking one subtree must not undo each
-- other), and only while the token exists: a plain HSET would bring back a token revoked
-- meanwhile, as a hash with a record and no expiry.
-- KEYS[1] token hash   ARGV[1] the record JSON read   ARGV[2] the record JSON to write
-- Returns 1 rewritten, 0 gone, -1 changed since it was read.
local rec = redis.call('HGET', KEYS[1], 'rec')
if not rec then return 0 end
if rec ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'rec', ARGV[2])
return 1
