// createMysqlPool on the real lessor and MariaDB: queries (pool.query and held connections)
// never fail across two rotations, every query runs as the current lessor user, and the
// retired users are dropped once their pool drained. Role ttl 8 s / max ttl 16 s: a rotation
// starts when a renewal comes back capped, 16 - 10.7 = 5.3 s before the old user's max TTL. With
// 6 s / 12 s that margin was 4 s, and once, on a loaded machine, the reaper ended the old user's
// sessions (KILL CONNECTION) before the new pool took over: four "Connection lost" at once.
import t from 'tap';
import mysql from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { createMysqlPool, LessorClient } from '../../src/client/index.js';
import { freshMariadbDatabase, sharedMariadb } from '../helpers/context.js';
import { waitUntil } from '../helpers/proc.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('mysql2 pool across rotations', async (t) => {
  const info = await sharedMariadb();
  const dbName = new URL(await freshMariadbDatabase(t)).pathname.slice(1);
  const tag = `m${randomBytes(4).toString('hex')}`;
  const root = async (sql: string, params?: unknown[]) => {
    const c = await mysql.createConnection({ host: info.host, port: info.port, user: info.user, password: info.password });
    try {
      return (await c.query(sql, params))[0] as any;
    } finally {
      await c.end();
    }
  };
  await root(`CREATE TABLE \`${dbName}\`.items (id INT)`);
  await root(`INSERT INTO \`${dbName}\`.items VALUES (1), (2), (3)`);
  t.teardown(async () => {
    const rows = (await root('SELECT User, Host FROM mysql.user WHERE User LIKE ?', [`${tag}%`]).catch(() => [])) as Array<{ User: string; Host: string }>;
    for (const r of rows) await root('DROP USER IF EXISTS ?@?', [r.User, r.Host]).catch(() => {});
  });
  const userExists = async (u: string) => ((await root('SELECT 1 FROM mysql.user WHERE User = ?', [u])) as unknown[]).length > 0;

  const tr = await testRuntime(t, { background: true, env: { LESSOR_REAPER_INTERVAL_MS: '100' } });
  const address = await tr.listen();
  const must = async (method: string, path: string, body?: unknown) => {
    const res = await tr.call(method, path, { body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  await must('PUT', `database/config/${tag}`, {
    plugin_name: 'mysql-database-plugin',
    connection_url: `{{username}}:{{password}}@tcp(${info.host}:${info.port})/`,
    username: info.user, password: info.password, allowed_roles: '*',
    username_template: `{{ printf "${tag}-%s" (random 16) | truncate 32 }}`,
  });
  await must('PUT', `database/roles/${tag}`, {
    db_name: tag,
    creation_statements: `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON \`${dbName}\`.* TO '{{name}}'@'%';`,
    default_ttl: 8, max_ttl: 16,
  });
  const rules = { capabilities: ['update', 'sudo'] };
  await must('PUT', `sys/policies/acl/${tag}`, { policy: JSON.stringify({ path: {
    'database/creds/*': { capabilities: ['read'] }, 'sys/leases/renew': rules, 'sys/leases/revoke': rules, 'sys/leases/lookup': rules,
  } }) });
  const token = (await must('PUT', 'auth/token/create', { policies: [tag], ttl: '1h' })).auth.client_token as string;

  const client = new LessorClient({ address, token });
  t.teardown(() => client.close());
  const pool = createMysqlPool({ client, role: tag, pool: { host: info.host, port: info.port, database: dbName, connectionLimit: 4 } });
  const users: string[] = [];
  const revoked: string[] = [];
  pool.on('rotated', (r) => users.push(r.username!));
  pool.on('revoked', (r) => revoked.push(r.leaseId));
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
      try {
        if (ok % 5 === 0) {
          const c = await pool.getConnection();
          try {
            await c.query('SELECT count(*) FROM items');
            await c.query('SELECT SLEEP(0.05)');
          } finally {
            c.release();
          }
        } else {
          const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT count(*) AS n, SUBSTRING_INDEX(CURRENT_USER(), "@", 1) AS u FROM items');
          if (rows[0].n !== 3) throw new Error(`wrong count ${rows[0].n}`);
          if (!users.includes(rows[0].u)) throw new Error(`connected as ${rows[0].u}, not a lessor user`);
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
  t.equal(new Set(users).size, 3, 'two rotations, each with a new user');
  await waitUntil('old leases revoked', 15_000, async () => revoked.length >= 2);
  for (const u of users.slice(0, 2)) await waitUntil(`${u} dropped`, 15_000, async () => !(await userExists(u)));
  await pool.end();
  await waitUntil('last user dropped at end()', 15_000, async () => !(await userExists(users[2])));
});
