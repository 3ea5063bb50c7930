// Leases that fall due while their target database is down are revoked as soon as it answers
// again, not when each lease's backoff (grown during the outage) runs out. On MariaDB this is
// what ends the credential: it has no VALID UNTIL, so its users keep working until revoked.
// Time is the injected clock: nothing here waits for a backoff to pass.
import t, { type Test } from 'tap';
import { ownMariadb, ownPostgres } from '../helpers/context.js';
import type { ServerHandle } from '../helpers/servers.js';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';
import { waitUntil } from '../helpers/proc.js';
import { manualClock } from './http-setup.js';
import { mariadbFixture } from './mariadb-fixture.js';
import { pgFixture } from './pg-fixture.js';

interface Target {
  server: ServerHandle;
  config: object;
  role: object;
  canLogin(user: string, password: string): Promise<boolean>;
  exists(user: string): Promise<boolean>;
}

const info = (s: ServerHandle) => ({ url: s.url(), host: s.host, port: s.port, user: s.user, password: s.password });

const targets: Record<string, (t: Test) => Promise<Target>> = {
  postgres: async (t) => {
    const server = await ownPostgres(t);
    const fx = await pgFixture(t, info(server));
    return { server, config: fx.config, role: fx.groupRole, canLogin: fx.canSelect, exists: fx.roleExists };
  },
  mariadb: async (t) => {
    const server = await ownMariadb(t);
    const fx = await mariadbFixture(t, info(server));
    return { server, config: fx.config, role: fx.role, canLogin: fx.canSelect, exists: fx.userExists };
  },
};

async function setup(t: Test, target: Target) {
  const clock = manualClock();
  const tr = await testRuntime(t, { runtime: { clock: clock.now } });
  t.equal((await tr.call('POST', 'database/config/db', { body: { ...target.config, allowed_roles: '*', connect_timeout: '2s' } })).status, 204);
  t.equal((await tr.call('POST', 'database/roles/app', { body: { ...target.role, db_name: 'db', default_ttl: '1h' } })).status, 204);
  return { tr, clock };
}

/** Probes until one succeeds (a pool may hand out one connection the restart killed first). */
async function probeUntilReleased(tr: TestRuntime, clock: ReturnType<typeof manualClock>): Promise<number> {
  for (let i = 0; i < 10; i++) {
    clock.advance(1000);
    const released = (await tr.rt.reaper.recovery?.probeDue()) ?? 0;
    if (released > 0 || (await tr.rt.leases.store.downTargets()).size === 0) return released;
  }
  return 0;
}

for (const [name, make] of Object.entries(targets)) {
  t.test(`${name}: revocations queued during an outage run on the first sweep after it ends`, async (t) => {
    const target = await make(t);
    const { tr, clock } = await setup(t, target);
    const creds: Array<{ username: string; password: string }> = [];
    for (let i = 0; i < 3; i++) {
      const res = await tr.call('GET', 'database/creds/app');
      t.equal(res.status, 200);
      creds.push(res.body.data as { username: string; password: string });
    }
    await target.server.stop();
    clock.advance(3600_000 + 1000);
    let run = await tr.rt.reaper.runOnce();
    t.match(run, { claimed: 3, failed: 3 }, 'due during the outage: every revocation fails');
    // A second round of failures pushes each lease's own retry further (about 20 s now).
    clock.advance(13_000);
    run = await tr.rt.reaper.runOnce();
    t.match(run, { claimed: 3, failed: 3 }, 'and fails again');
    const retries = await tr.rt.leases.store.getMany(await tr.rt.leases.store.listPrefix('database/'));
    t.ok(retries.every((l) => l && l.attempts === 2), 'two attempts each');
    t.equal((await tr.rt.reaper.recovery?.probeDue()) ?? 0, 0, 'a probe while the target is down releases nothing');
    t.same(await tr.rt.reaper.runOnce(), { claimed: 0, revoked: 0, failed: 0, jobs: 0 }, 'nothing due while it stays down');

    await target.server.start();
    if (name === 'mariadb') t.ok(await target.canLogin(creds[0].username, creds[0].password), 'MariaDB: the expired user still logs in until revoked');
    t.equal(await probeUntilReleased(tr, clock), 3, 'the first probe that succeeds releases all three');
    run = await tr.rt.reaper.runOnce();
    t.match(run, { claimed: 3, revoked: 3, failed: 0 }, 'one sweep revokes them, seconds after the outage, not at their retry');
    for (const c of creds) {
      t.notOk(await target.exists(c.username), `${c.username} is gone`);
      t.notOk(await target.canLogin(c.username, c.password), 'and cannot log in');
    }
    t.same(await tr.rt.leases.store.listPrefix('database/'), [], 'no lease left');
    t.equal((await tr.rt.leases.store.downTargets()).size, 0, 'the target is no longer marked down');
    t.ok(tr.logLines.some((l) => l.includes('target answers again') && l.includes('"released":3')), 'the release is logged');
    t.notOk(tr.logLines.some((l) => creds.some((c) => l.includes(c.password))), 'no password in the log');
  });
}

// The same on the real clock, through the running reaper (probes started by its sweeps): the
// issue's promise, "revoked within 5 s of the outage's end", measured.
t.test('postgres, real time: a lease that fell due in an outage is gone within 5 s of its end', async (t) => {
  const target = await targets.postgres(t);
  const tr = await testRuntime(t, { background: true });
  t.equal((await tr.call('POST', 'database/config/db', { body: { ...target.config, allowed_roles: '*', connect_timeout: '2s' } })).status, 204);
  t.equal((await tr.call('POST', 'database/roles/app', { body: { ...target.role, db_name: 'db', default_ttl: '1s' } })).status, 204);
  const res = await tr.call('GET', 'database/creds/app');
  t.equal(res.status, 200);
  const { username } = res.body.data as { username: string };
  await target.server.stop();
  await waitUntil('the revocation failed while the target was down', 15_000,
    async () => ((await tr.rt.leases.store.get(res.body.lease_id))?.attempts ?? 0) >= 1);
  await target.server.start();
  const back = performance.now();
  await waitUntil('the user is revoked', 15_000, async () => !(await target.exists(username)));
  const took = performance.now() - back;
  t.ok(took < 5000, `revoked ${Math.round(took)} ms after the target answered again (the lease's own retry was ~10 s away)`);
  t.equal(await tr.rt.leases.store.get(res.body.lease_id), undefined, 'and its lease is gone');
});
