// Done when: a service using createPgPool runs queries continuously across at least two
// credential rotations with zero failed queries, and the old database users are gone afterwards.
// Real lessor, real PostgreSQL (scram), role ttl 3 s / max ttl 7 s.
import t from 'tap';
import { createPgPool, LessorClient } from '../../src/client/index.js';
import { waitUntil } from '../helpers/proc.js';
import { e2e } from './e2e-setup.js';

t.test('queries never fail across rotations; retired users are dropped', async (t) => {
  const env = await e2e(t, { defaultTtl: 3, maxTtl: 7 });
  const client = new LessorClient({ address: env.address, token: await env.appToken() });
  t.teardown(() => client.close());
  const pool = createPgPool({ client, role: env.role, pool: { connectionString: env.dbUrl, max: 4 } });
  const users: string[] = [];
  const revoked: string[] = [];
  const leaseErrors: Error[] = [];
  pool.on('rotated', (r) => users.push(r.username!));
  pool.on('revoked', (r) => revoked.push(r.leaseId));
  pool.on('leaseError', (e) => leaseErrors.push(e));
  await pool.start();
  users.unshift(pool.username!);

  let ok = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (users.length < 3) {
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
          const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
          if (r.rows[0].n !== 3) throw new Error(`wrong count ${r.rows[0].n}`);
        }
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  await Promise.race([
    Promise.all([worker(), worker(), worker(), worker()]),
    waitUntil('two rotations', 60_000, async () => false).catch((e) => { users.push('timeout', 'timeout'); throw e; }),
  ]).catch((e) => t.fail(String(e)));

  t.same(failures, [], 'zero failed queries');
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
