// revoke-prefix only enqueues: 20,000 leases answer in under a second, then the reaper drains
// them, each credential revoked exactly once.
import t from 'tap';
import { bulkLeases } from './bulk.js';
import { fakeSetup, until } from './fake-setup.js';

t.setTimeout(240_000); // 20,000 real revocations on a shared 2-core machine

t.test('revoke-prefix on 20,000 leases answers in under a second and the reaper drains them', async (t) => {
  const f = await fakeSetup(t, { tuning: { reaper: { batchSize: 500, concurrencyPerConfig: 16 } } });
  const store = f.tr.rt.leases.store;
  const now = Date.now();
  await bulkLeases(store, 20_000, { now, expireAt: now + 3600_000 });
  await bulkLeases(store, 5, { now, expireAt: now + 3600_000, role: 'other' });
  t.equal((await store.listPrefix('fake/creds/app/')).length, 20_000);

  const started = performance.now();
  const r = await f.tr.call('PUT', 'sys/leases/revoke-prefix/fake/creds/app');
  const took = performance.now() - started;
  t.equal(r.status, 204);
  t.ok(took < 1000, `answered in ${Math.round(took)} ms`);

  const list = await f.tr.call('LIST', 'sys/leases/lookup/fake/creds/app');
  t.equal(list.body.data.keys.length, 20_000, 'queued leases are still listed until revoked');
  const renew = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: 'fake/creds/app/b000001' } });
  t.equal(renew.status, 400, 'a lease queued for revocation cannot be renewed');
  t.match(renew.body.errors[0], /being revoked/);

  t.ok(await until(async () => {
    await f.tr.rt.reaper.runOnce();
    return (await store.listPrefix('fake/creds/app/')).length === 0;
  }, 120_000, 0), 'drained');
  const per = await f.revokesPerCredential();
  t.equal(per.size, 20_000, 'every credential revoked');
  t.ok([...per.values()].every((n) => n === 1), 'each exactly once');
  t.equal((await store.listPrefix('fake/creds/other/')).length, 5, 'leases outside the prefix live on');
  t.same(await store.counts(), { 'fake|other': 5 }, 'live counts follow');
});
