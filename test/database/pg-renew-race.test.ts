// A lease has one owner at a time. A renewal racing the reaper at expiry either wins (it
// answers 200 and the user keeps working until the new expiry) or loses (it answers 400 and
// changes nothing in the target); it never answers 200 for a user the reaper then drops.
// The reaper is held between taking a lease and revoking it (ReaperOptions.beforeRevoke), and
// the renewal is held inside its ALTER ROLE by a transaction holding the role's row, so every
// interleaving is reached on purpose, not by timing.
import pg from 'pg';
import t, { type Test } from 'tap';
import { until } from '../leases/fake-setup.js';
import { testRuntime } from '../helpers/test-runtime.js';
import { manualClock } from './http-setup.js';
import { pgFixture } from './pg-fixture.js';
import type { LeaseRecord } from '../../src/leases/lease-store.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function setup(t: Test) {
  const fx = await pgFixture(t);
  const clock = manualClock();
  const reached = deferred();
  const gate = deferred();
  const beforeRevoke = async (_lease: LeaseRecord) => {
    reached.resolve();
    await gate.promise;
  };
  const tr = await testRuntime(t, { runtime: { clock: clock.now, leaseTuning: { reaper: { beforeRevoke } } } });
  t.equal((await tr.call('POST', 'database/config/pg', { body: { ...fx.config, allowed_roles: ['*'] } })).status, 204);
  t.equal((await tr.call('POST', 'database/roles/reader', { body: { ...fx.groupRole, db_name: 'pg' } })).status, 204);
  const issued = await tr.call('GET', 'database/creds/reader');
  t.equal(issued.status, 200);
  const c = issued.body as { lease_id: string; data: { username: string; password: string } };
  const lookup = () => tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: c.lease_id } });
  const expireAt = Date.parse((await lookup()).body.data.expire_time);
  const validUntil = async () =>
    new Date((await fx.su('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [c.data.username])).rows[0]?.rolvaliduntil ?? 0).getTime();
  return { fx, tr, clock, reached, gate, c, lookup, expireAt, validUntil };
}

t.test('reaper first: a renewal arriving after the reaper took the lease answers 400 and changes nothing', async (t) => {
  const { fx, tr, clock, reached, gate, c, lookup, expireAt, validUntil } = await setup(t);
  clock.advance(expireAt + 1 - clock.now());
  const run = tr.rt.reaper.runOnce();
  await reached.promise; // the reaper holds the lease, its revocation not yet run
  const before = await validUntil();
  // The renewal comes through a replica whose clock lags by 2 ms: by its clock the lease is live.
  clock.advance(-2);
  const renew = await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: c.lease_id, increment: 600 } });
  t.equal(renew.status, 400, 'the reaper owns the lease: the renewal is refused');
  t.match(renew.body.errors?.[0], /expired|being revoked/);
  t.equal(await validUntil(), before, 'VALID UNTIL untouched: the renewal changed nothing in the target');
  gate.resolve();
  const swept = await run;
  t.equal(swept.revoked, 1);
  t.notOk(await fx.roleExists(c.data.username), 'the user is dropped, as the refused renewal implied');
  t.equal((await lookup()).status, 400, 'and its lease is gone');
});

t.test('renewal first: a renewal under way when the lease falls due wins, and the reaper leaves the user alone', async (t) => {
  const { fx, tr, clock, reached, gate, c, lookup, expireAt } = await setup(t);
  // Hold the role's catalog row in an open transaction: the renewal's ALTER ROLE waits for it.
  const holder = new pg.Client({ connectionString: fx.dbUrl });
  holder.on('error', () => {});
  await holder.connect();
  t.teardown(() => holder.end().catch(() => {}));
  await holder.query('BEGIN');
  await holder.query(`ALTER ROLE "${c.data.username}" VALID UNTIL 'infinity'`);

  clock.advance(expireAt - 1 - clock.now()); // 1 ms before expiry
  const renewing = tr.call('PUT', 'sys/leases/renew', { body: { lease_id: c.lease_id, increment: 600 } });
  const waiting = async () => (await fx.su(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'", [fx.admin])).rows[0].n > 0;
  t.ok(await until(waiting, 10_000), 'the renewal is inside its ALTER ROLE, waiting');

  clock.advance(2); // the lease has now expired by the clock
  const run = tr.rt.reaper.runOnce();
  await Promise.race([reached.promise, run]); // the reaper either gave the lease back or holds it
  await holder.query('ROLLBACK');
  const renew = await renewing;
  gate.resolve();
  await run;

  if (renew.status === 200) {
    t.equal(renew.body.lease_duration, 600);
    t.ok(await fx.roleExists(c.data.username), 'a renewal that answered 200 keeps its user');
    t.ok(await fx.canSelect(c.data.username, c.data.password), 'who still logs in');
    const look = await lookup();
    t.equal(look.status, 200, 'and keeps its lease');
    t.equal(Date.parse(look.body.data.expire_time), expireAt - 1 + 600_000, 'at the renewed expiry');
    const again = await tr.rt.reaper.runOnce();
    t.equal(again.revoked, 0, 'a later sweep leaves it alone too');
    t.ok(await fx.canSelect(c.data.username, c.data.password));
  } else {
    t.fail(`the renewal that held the lease first lost it: ${renew.status} ${JSON.stringify(renew.body)}`);
  }
});
