import t from 'tap';
import { connectRedis } from '../../src/redis/client.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { RedisLeaseStore } from '../../src/leases/redis-lease-store.js';
import { randomSecret } from '../helpers/proc.js';
import { leaseStoreContract } from './lease-store-contract.js';
import { startRedisCluster } from './redis-cluster.js';

// The same contract on a three-master Redis Cluster through ioredis's Cluster client
// (LESSOR_REDIS_CLUSTER=true): every script and pipeline stays in the prefix's slot.
const url = await startRedisCluster(t);
leaseStoreContract(t, async (t) => {
  const redis = await connectRedis(url, { cluster: true });
  t.teardown(() => redis.quit());
  return new RedisLeaseStore(redis, new RedisKeys(`c${randomSecret(4)}`));
});
