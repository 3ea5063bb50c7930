// A lease with a 2 s TTL is revoked by the background reaper within 1 s of its expiry.
import t from 'tap';
import pg from 'pg';
import { fakeSetup, until } from './fake-setup.js';

t.test('a 2 s lease is revoked within 1 s of expiry', async (t) => {
  const f = await fakeSetup(t, { background: true, env: { LESSOR_REAPER_INTERVAL_MS: '100' } });
  await f.role('brief', { default_ttl: 2, max_ttl: 2 });
  const issued = await f.tr.call('GET', 'fake/creds/brief');
  t.equal(issued.status, 200);
  t.equal(issued.body.lease_duration, 2);
  t.equal(issued.body.renewable, false, 'ttl already at max_ttl: nothing to renew');
  const look = await f.tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: issued.body.lease_id } });
  const expireAt = Date.parse(look.body.data.expire_time);

  t.ok(await until(async () => (await f.count('revoke', issued.body.data.username)) === 1, 5000), 'revoked');
  const db = new pg.Client({ connectionString: f.targetUrl });
  await db.connect();
  const { rows } = await db.query<{ at: Date }>("SELECT at FROM fake_events WHERE kind = 'revoke'");
  await db.end();
  const late = rows[0].at.getTime() - expireAt;
  t.ok(late >= 0, `not before expiry (${late} ms)`);
  t.ok(late < 1000, `within 1 s of expiry (${late} ms late)`);
  t.equal(await f.tr.rt.leases.store.get(issued.body.lease_id), undefined, 'and forgotten');
  const metrics = await f.tr.rt.metrics.registry.metrics();
  t.match(metrics, /lessor_leases_revoked_total\{mount="fake"\} 1/);
  t.match(metrics, /lessor_leases_issued_total\{mount="fake"\} 1/);
  t.match(metrics, /lessor_reaper_lag_seconds_count [1-9]/);
});

t.test('a pending lease whose issue failed is revoked too (intent first)', async (t) => {
  const f = await fakeSetup(t);
  await f.role('broken', { fail_issue: true });
  const r = await f.tr.call('GET', 'fake/creds/broken');
  t.equal(r.status, 502, 'engine upstream failure');
  t.notMatch(JSON.stringify(r.body), f.targetUrl, 'no connection URL in the answer');
  t.equal(await f.count('revoke'), 1, 'the half-made credential was revoked (idempotent delete)');
  t.same(await f.tr.rt.leases.store.listPrefix('fake/'), [], 'and its lease forgotten');
});
