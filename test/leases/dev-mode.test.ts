// `lessor dev` keeps leases in process memory: the same lease API and reaper work there.
import t from 'tap';
import { fakeSetup } from './fake-setup.js';

t.test('dev mode: issue, renew, expire and revoke with the in-process store', async (t) => {
  let now = Date.now();
  const f = await fakeSetup(t, { devMode: true, clock: () => now });
  t.equal(f.tr.rt.leases.store.kind, 'memory');
  const a = await f.tr.call('GET', 'fake/creds/app');
  const b = await f.tr.call('GET', 'fake/creds/app');
  t.equal(a.status, 200);
  const renewed = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: a.body.lease_id, increment: 300 } });
  t.equal(renewed.body.lease_duration, 300);
  now += 61_000; // b expired, a renewed
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.count('revoke', b.body.data.username), 1, 'the expired lease is revoked');
  t.equal(await f.count('revoke', a.body.data.username), 0, 'the renewed one lives');
  t.equal((await f.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: a.body.lease_id } })).status, 204);
  t.equal(await f.count('revoke', a.body.data.username), 1);
});
