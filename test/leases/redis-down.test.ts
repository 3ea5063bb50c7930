// Redis down: lease requests answer 503 quickly (never 500, never a hang), the reaper survives,
// and everything works again once Redis is back, with no lease lost.
import t from 'tap';
import { ownRedis } from '../helpers/context.js';
import { fakeSetup } from './fake-setup.js';

t.test('lease store unreachable → 503, then recovery', async (t) => {
  const redis = await ownRedis(t);
  const f = await fakeSetup(t, { env: { LESSOR_REDIS_URL: redis.url() } });
  const issued = await f.tr.call('GET', 'fake/creds/app');
  t.equal(issued.status, 200);
  const creds = await f.tr.rt.leases.store.get(issued.body.lease_id);
  t.ok(creds, 'stored');

  await redis.stop();
  const svc = f.tr.rt.leases;
  const caller = { identity: { tokenId: 'x', accessor: 'a', ancestors: [], policies: ['root'], entityName: '', displayName: '', metadata: {}, isRoot: true }, path: 'sys/leases/lookup' };
  const started = Date.now();
  const err = await svc.lookup(caller, issued.body.lease_id).then(() => undefined, (e: unknown) => e as { statusCode?: number; message?: string });
  t.equal(err?.statusCode, 503, 'the service reports the store as unavailable');
  t.match(err?.message, /lease store \(Redis\) is unreachable/);
  t.ok(Date.now() - started < 10_000, 'quickly');
  const sweep = await f.tr.rt.reaper.runOnce().then(() => undefined, (e: { statusCode?: number }) => e);
  t.equal(sweep?.statusCode, 503, 'a reaper sweep fails cleanly (the timer loop logs and retries)');
  const http = await f.tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: issued.body.lease_id } });
  t.not(http.status, 500, `the HTTP answer is not a 500 (${http.status})`);
  t.equal(http.status, 503);

  await redis.start();
  let back = false;
  for (let i = 0; i < 100 && !back; i++) {
    back = (await f.tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: issued.body.lease_id } })).status === 200;
    if (!back) await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(back, 'the lease is there again once Redis is back');
  t.equal((await f.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: issued.body.lease_id } })).status, 204);
  t.equal(await f.count('revoke'), 1);
});
