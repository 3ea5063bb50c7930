// A revocation that fails is retried with backoff until it succeeds; one that never succeeds
// ends irrevocable (kept, listed, counted, logged at error) instead of being dropped or retried forever.
import t from 'tap';
import { fakeSetup, until } from './fake-setup.js';

// Backoff in milliseconds so the whole schedule runs in a test; 4 attempts before irrevocable.
const tuning = { backoff: { baseMs: 5, capMs: 20, maxAttempts: 4, jitter: 0.2 } };

t.test('a revoke that fails 3 times then succeeds ends revoked, once', async (t) => {
  const f = await fakeSetup(t, { tuning });
  await f.role('flaky', { fail_revokes: 3 });
  const issued = await f.tr.call('GET', 'fake/creds/flaky');
  t.equal(issued.status, 200);
  const user = issued.body.data.username;
  const revoke = await f.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: issued.body.lease_id } });
  t.equal(revoke.status, 502, 'a synchronous revoke reports the failure');
  t.match(revoke.body.errors[0], /will be retried/);
  t.notMatch(JSON.stringify(revoke.body), issued.body.data.password, 'the engine error echoed the password; the answer does not');
  t.notMatch(JSON.stringify(revoke.body), f.targetUrl, 'nor the connection URL');
  t.ok(await until(async () => {
    await f.tr.rt.reaper.runOnce();
    return (await f.tr.rt.leases.store.get(issued.body.lease_id)) === undefined;
  }, 10_000), 'the reaper retries until the lease is gone');
  t.equal(await f.count('revoke_failed', user), 3);
  t.equal(await f.count('revoke', user), 1, 'revoked exactly once');
  t.same(await f.tr.rt.leases.store.listIrrevocable(), []);
  t.notOk(f.tr.logLines.some((l) => l.includes(issued.body.data.password) || l.includes(f.targetUrl)), 'no secret in the service log');
  t.ok(f.tr.logLines.some((l) => l.includes('"level":40') && l.includes('will retry')), 'each failure logged at warn');
});

t.test('a revoke that always fails ends irrevocable, listed and counted', async (t) => {
  const f = await fakeSetup(t, { tuning });
  await f.role('stuck', { fail_revokes: -1 });
  const issued = await f.tr.call('GET', 'fake/creds/stuck');
  const id = issued.body.lease_id;
  t.equal((await f.tr.call('PUT', 'sys/leases/revoke?sync=false', { body: { lease_id: id } })).status, 202, 'queued');
  t.ok(await until(async () => {
    await f.tr.rt.reaper.runOnce();
    return (await f.tr.rt.leases.store.get(id))?.state === 'irrevocable';
  }, 10_000));
  t.equal(await f.count('revoke_failed'), 4, 'exactly maxAttempts attempts');
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.count('revoke_failed'), 4, 'an irrevocable lease is not retried');

  const list = await f.tr.call('LIST', 'sys/leases/irrevocable');
  t.equal(list.status, 200);
  t.same(list.body.data.keys, [id]);
  const get = await f.tr.call('GET', 'sys/leases/irrevocable');
  t.equal(get.body.data.leases[0].lease_id, id);
  t.equal(get.body.data.leases[0].attempts, 4);
  t.match(get.body.data.leases[0].error, /cannot drop/);
  t.notMatch(get.body.data.leases[0].error, issued.body.data.password, 'stored error has no password');
  const metrics = await f.tr.rt.metrics.registry.metrics();
  t.match(metrics, /lessor_leases_irrevocable 1/);
  t.match(metrics, /lessor_lease_revocation_failures_total\{mount="fake",kind="upstream"\} 4/);
  t.ok(f.tr.logLines.some((l) => l.includes('"level":50') && l.includes('lease irrevocable')), 'logged at error');

  const renew = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: id } });
  t.equal(renew.status, 400, 'an irrevocable lease cannot be renewed');

  // An operator forgets it with revoke-force (sudo): gone from the list.
  const force = await f.tr.call('PUT', 'sys/leases/revoke-force/fake/creds/stuck');
  t.equal(force.status, 204, JSON.stringify(force.body));
  t.same(await f.tr.rt.leases.store.listIrrevocable(), []);
  t.equal(await f.tr.rt.leases.store.get(id), undefined);
  t.ok(f.tr.logLines.some((l) => l.includes('revoke-force')), 'revoke-force is logged');
});

t.test('a client retrying a synchronous revoke does not spend the reaper\'s attempts', async (t) => {
  const f = await fakeSetup(t, { tuning });
  await f.role('stuck', { fail_revokes: -1 });
  const issued = await f.tr.call('GET', 'fake/creds/stuck');
  const id = issued.body.lease_id;
  for (let i = 0; i < 2 * tuning.backoff.maxAttempts; i++) {
    const revoke = await f.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: id } });
    t.equal(revoke.status, 502, `synchronous revoke ${i + 1} reports the failure`);
  }
  t.equal(await f.count('revoke_failed'), 2 * tuning.backoff.maxAttempts, 'every synchronous revoke ran');
  const lease = await f.tr.rt.leases.store.get(id);
  t.equal(lease?.state, 'active', 'the lease is still on the reaper\'s schedule, not irrevocable');
  t.equal(lease?.attempts, 1, 'only the first failure spent an attempt');
  t.same(await f.tr.rt.leases.store.listIrrevocable(), []);
  // The reaper's own tries still count, so a lease that never revokes ends irrevocable as before.
  t.ok(await until(async () => {
    await f.tr.rt.reaper.runOnce();
    return (await f.tr.rt.leases.store.get(id))?.state === 'irrevocable';
  }, 10_000), 'the reaper\'s attempts end it irrevocable');
  t.equal((await f.tr.rt.leases.store.get(id))?.attempts, tuning.backoff.maxAttempts);
});

t.test('an unrecoverable engine error makes the lease irrevocable at once', async (t) => {
  const f = await fakeSetup(t, { tuning });
  await f.role('doomed', { fail_revokes: -1, unrecoverable: true });
  const issued = await f.tr.call('GET', 'fake/creds/doomed');
  await f.tr.call('PUT', 'sys/leases/revoke?sync=false', { body: { lease_id: issued.body.lease_id } });
  await f.tr.rt.reaper.runOnce();
  t.equal((await f.tr.rt.leases.store.get(issued.body.lease_id))?.state, 'irrevocable');
  t.equal(await f.count('revoke_failed'), 1, 'no retries');
});
