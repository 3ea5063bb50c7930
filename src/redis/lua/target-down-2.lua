--[[
  Marks a target (engine config) unreachable and parks one lease's failed revocation on it, so
  the revocation can run as soon as the target answers again (target-release).
  KEYS[1] down targets (hash target → first seen down, ms)   KEYS[2] the target's waiting leases
  (zset lease id → the retry time its failure was given)
  ARGV[1] target   ARGV[2] lease id   ARGV[3] retry at (ms)   ARGV[4] now (ms)
  ARGV[5] how long to keep the waiting set (ms; garbage collection only)
  Returns 1.
]]
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
