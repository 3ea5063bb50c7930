-- Replaces a token's record only while the token exists (revoke-orphan rewriting a descendant's
-- parent and ancestors): a plain HSET would bring back a token revoked meanwhile, as a hash
-- with a record and no expiry.
-- KEYS[1] token hash   ARGV[1] record JSON
-- Returns 1 rewritten, 0 gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[1])
return 1
