// The whole runtime on a Redis Cluster (LESSOR_REDIS_CLUSTER=true): issue, renew, reap, revoke.
import t from 'tap';
import { fakeSetup } from './fake-setup.js';
import { startRedisCluster } from './redis-cluster.js';

t.test('leases on a three-master Redis Cluster', async (t) => {
  const url = await startRedisCluster(t);
  let now = Date.now();
  const f = await fakeSetup(t, { env: { LESSOR_REDIS_URL: url, LESSOR_REDIS_CLUSTER: 'true' }, clock: () => now });
  const a = await f.tr.call('GET', 'fake/creds/app');
  const b = await f.tr.call('GET', 'fake/creds/app');
  t.equal(a.status, 200);
  t.equal((await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: a.body.lease_id, increment: 300 } })).body.lease_duration, 300);
  t.equal((await f.tr.call('LIST', 'sys/leases/lookup/fake/creds/app')).body.data.keys.length, 2);
  now += 61_000;
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.count('revoke', b.body.data.username), 1, 'the expired lease is reaped');
  t.equal((await f.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: a.body.lease_id } })).status, 204);
  t.equal(await f.count('revoke'), 2);
});
