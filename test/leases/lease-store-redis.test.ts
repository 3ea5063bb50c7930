import t from 'tap';
import { connectRedis } from '../../src/redis/client.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { RedisLeaseStore } from '../../src/leases/redis-lease-store.js';
import { redisPrefix, sharedRedis } from '../helpers/context.js';
import { leaseStoreContract } from './lease-store-contract.js';

// The production store on a real Redis, each subtest under its own key prefix.
leaseStoreContract(t, async (t) => {
  const redis = await connectRedis((await sharedRedis()).url);
  t.teardown(() => redis.quit());
  return new RedisLeaseStore(redis, new RedisKeys(redisPrefix(t).replace(/:$/, '')));
});
