// Reapers in separate processes share one Redis: three of them revoke 5,000 due leases with each
// revoke executed exactly once; a replica killed with SIGKILL mid-batch loses nothing.
import t from 'tap';
import pg from 'pg';
import { bulkLeases } from './bulk.js';
import { fakeSetup, until } from './fake-setup.js';
import { startReplica } from './replicas.js';

t.setTimeout(300_000);

t.test('three reaper processes revoke 5,000 due leases, each exactly once', async (t) => {
  const f = await fakeSetup(t);
  const now = Date.now();
  await bulkLeases(f.tr.rt.leases.store, 5000, { now: now - 10_000, expireAt: now - 1000 });
  const tuning = { reaper: { batchSize: 50, concurrencyPerConfig: 8, intervalMs: 50 } };
  const replicas = await Promise.all([1, 2, 3].map(() => startReplica(t, f.tr.env, tuning)));
  for (const r of replicas) r.go();

  t.ok(await until(async () => (await f.tr.rt.leases.store.listPrefix('fake/')).length === 0, 180_000, 200), 'all leases gone');
  const per = await f.revokesPerCredential();
  t.equal(per.size, 5000, 'every credential revoked');
  const twice = [...per].filter(([, n]) => n !== 1);
  t.same(twice, [], 'no credential revoked twice');
  const db = new pg.Client({ connectionString: f.targetUrl });
  await db.connect();
  const { rows } = await db.query<{ pid: number }>("SELECT DISTINCT pid FROM fake_events WHERE kind = 'revoke'");
  await db.end();
  t.equal(rows.length, 3, 'all three replicas took part');
});

t.test('a reaper killed with SIGKILL mid-batch loses nothing: its claims time out', async (t) => {
  // Slow revocations so the kill lands with a batch claimed and revocations in flight.
  const f = await fakeSetup(t, { config: { revoke_delay_ms: 200 }, tuning: { lease: { claimTimeoutMs: 3000 }, reaper: { batchSize: 40, concurrencyPerConfig: 8 } } });
  const now = Date.now();
  await bulkLeases(f.tr.rt.leases.store, 200, { now: now - 10_000, expireAt: now - 1000 });
  const victim = await startReplica(t, f.tr.env, { lease: { claimTimeoutMs: 3000 }, reaper: { batchSize: 40, concurrencyPerConfig: 8, intervalMs: 50 } });
  victim.go();
  t.ok(await until(async () => (await f.count('revoke')) >= 8, 60_000, 20), 'the victim is revoking');
  victim.proc.kill('SIGKILL');
  await new Promise((r) => victim.proc.once('exit', r));
  const killedAt = Date.now();
  const left = (await f.tr.rt.leases.store.listPrefix('fake/')).length;
  t.ok(left > 0, `killed mid-way (${left} leases left)`);

  // Every lease expired in the past, so a due score in the future is a claim the victim still holds.
  const held = await f.tr.rt.redis!.zcount(f.tr.rt.keys.key('leases', 'due'), killedAt, '+inf');
  t.ok(held > 0, `the victim died holding ${held} claims`);

  // This runtime is the surviving replica: it takes the rest now and the victim's after the timeout.
  t.ok(await until(async () => {
    await f.tr.rt.reaper.runOnce();
    return (await f.tr.rt.leases.store.listPrefix('fake/')).length === 0;
  }, 60_000, 100), 'every lease ends revoked once the claims time out');
  const per = await f.revokesPerCredential();
  t.equal(per.size, 200, 'every credential was revoked');
  const again = [...per.values()].filter((n) => n > 1).length;
  t.ok(again <= 40, `at most the killed batch was revoked again (${again}); revocation is idempotent`);
});
