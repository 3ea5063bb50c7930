// Done when: a service using createPgPool runs queries continuously across at least two
// credential rotations with zero failed queries, and the old database users are gone afterwards.
// Real lessor, real PostgreSQL (scram), role ttl 8 s / max ttl 16 s. A rotation starts when a
// renewal comes back capped, 16 - 10.7 = 5.3 s before the old user's max TTL; the 4 s that
// 6 s / 12 s left is what once failed the MariaDB twin of this test on a loaded machine.
import t from 'tap';
import { createPgPool, LessorClient } from '../../src/client/index.js';
import { waitUntil } from '../helpers/proc.js';
import { e2e } from './e2e-setup.js';

t.test('queries never fail across rotations; retired users are dropped', async (t) => {
  const env = await e2e(t, { defaultTtl: 8, maxTtl: 16 });
  const client = new LessorClient({ address: env.address, token: await env.appToken() });
  t.teardown(() => client.close());
  const pool = createPgPool({ client, role: env.role, pool: { connectionString: env.dbUrl, max: 4 } });
  const users: string[] = [];
  const revoked: string[] = [];
  const leaseErrors: Error[] = [];
  pool.on('rotated', (r) => users.push(r.username!));
  pool.on('revoked', (r) => revoked.push(r.leaseId));
  pool.on('leaseError', (e) => leaseErrors.push(e));
  // What the lease saw, so a failure says whether a renewal or a rotation was late or refused.
  const events: string[] = [];
  const t0 = Date.now();
  pool.on('rotated', (r) => events.push(`${Date.now() - t0} ms rotated (${r.reason})`));
  pool.on('leaseError', (e) => events.push(`${Date.now() - t0} ms lease error: ${e.message}`));
  await pool.start();
  users.unshift(pool.username!);

  let ok = 0;
  const failures: string[] = [];
  const deadline = Date.now() + 60_000;
  const worker = async () => {
    while (users.length < 3 && Date.now() < deadline) {
      // A mix of pool.query and checked-out clients holding a transaction across the swap.
      try {
        if (ok % 5 === 0) {
          const c = await pool.connect();
          try {
            await c.query('BEGIN');
            await c.query('SELECT count(*) FROM items');
            await c.query('SELECT pg_sleep(0.05)');
            await c.query('COMMIT');
          } finally {
            c.release();
          }
        } else {
          const r = await pool.query<{ n: number; u: string }>('SELECT count(*)::int AS n, current_user AS u FROM items');
          if (r.rows[0].n !== 3) throw new Error(`wrong count ${r.rows[0].n}`);
          if (!users.includes(r.rows[0].u)) throw new Error(`connected as ${r.rows[0].u}, not a lessor user`);
        }
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
        events.push(`${Date.now() - t0} ms query failed: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);

  t.same(failures, [], `zero failed queries (${events.join('; ')})`);
  t.ok(ok > 50, `${ok} queries ran`);
  t.equal(users.length, 3, 'two rotations');
  t.equal(new Set(users).size, 3, 'each rotation brought a new database user');
  t.match(pool.username, users[2]);

  const old = users.slice(0, 2);
  await waitUntil('old leases revoked after their pools drained', 15_000, async () => revoked.length >= 2);
  for (const u of old) {
    await waitUntil(`user ${u} dropped`, 15_000, async () => !(await env.roleExists(u)));
  }
  t.pass('old database users are gone');
  await pool.end();
  await waitUntil('last user dropped at end()', 15_000, async () => !(await env.roleExists(users[2])));
  t.same(leaseErrors.map((e) => e.message), []);
});

t.test('a refused login (28P01) is retried once with fresh credentials', async (t) => {
  const env = await e2e(t, { defaultTtl: 60, maxTtl: 600 });
  const client = new LessorClient({ address: env.address, token: await env.appToken() });
  t.teardown(() => client.close());
  const pool = createPgPool({ client, role: env.role, pool: { connectionString: env.dbUrl, max: 2 } });
  t.teardown(() => pool.end());
  await pool.start();
  const first = pool.username!;
  // Someone changed the user's password behind lessor's back: the next new connection is refused.
  const u = new URL(env.dbUrl);
  const admin = new (await import('pg')).default.Client({ connectionString: u.toString() });
  await admin.connect();
  await admin.query(`ALTER ROLE "${first}" PASSWORD 'changed-elsewhere'`);
  await admin.end();
  const res = await Promise.all([pool.query('SELECT current_user AS u'), pool.query('SELECT current_user AS u')]);
  t.not(pool.username, first, 'new credentials');
  t.same(res.map((r) => r.rows[0].u), [pool.username, pool.username], 'both queries succeeded as the new user');
  await waitUntil('the refused user is revoked', 15_000, async () => !(await env.roleExists(first)));
});

t.test('the client token reaching its max TTL: new login, new credentials, no failed query', async (t) => {
  // lessor revokes a token's leases when the token ends; the pool must move off them in time.
  const env = await e2e(t, { defaultTtl: 60, maxTtl: 600 });
  const client = new LessorClient({ address: env.address, approle: await env.approle({ tokenTtl: 3, tokenMaxTtl: 6 }) });
  t.teardown(() => client.close());
  let logins = 0;
  client.on('login', () => logins++);
  const pool = createPgPool({ client, role: env.role, pool: { connectionString: env.dbUrl, max: 3 } });
  t.teardown(() => pool.end());
  const users: string[] = [];
  const reasons: string[] = [];
  pool.on('rotated', (r) => { users.push(r.username!); reasons.push(r.reason); });
  await pool.start();
  users.unshift(pool.username!);
  const failures: string[] = [];
  let ok = 0;
  const deadline = Date.now() + 45_000;
  const worker = async () => {
    while (users.length < 3 && Date.now() < deadline) {
      try {
        const r = await pool.query<{ u: string }>('SELECT current_user AS u FROM items LIMIT 1');
        if (!users.includes(r.rows[0].u)) throw new Error(`connected as ${r.rows[0].u}`);
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  t.same(failures, [], `zero failed queries (${ok} ran)`);
  t.ok(logins >= 3, `${logins} logins`);
  t.same(reasons.slice(0, 2), ['token replaced', 'token replaced']);
  for (const u of users.slice(0, 2)) await waitUntil(`${u} dropped`, 20_000, async () => !(await env.roleExists(u)));
});
