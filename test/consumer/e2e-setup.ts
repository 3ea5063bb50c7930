// End-to-end setup for the consumer tests: a whole lessor runtime (reaper every 100 ms)
// listening on 127.0.0.1, a fresh database on the shared PostgreSQL with a group role, a
// `database/` connection and a role with short TTLs so rotations happen within seconds, and
// an application identity (a policy plus an AppRole) that may only read creds and manage leases.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { freshPgDatabase, sharedPostgres, type Teardown } from '../helpers/context.js';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

export interface E2E {
  tr: TestRuntime;
  /** Base URL of the listening lessor. */
  address: string;
  role: string;
  /** The app policy: read creds, renew/look up/revoke leases (sudo: its leases outlive its first token). */
  policy: string;
  dbUrl: string;
  /** Connects as this user and reads the table; throws what the database said. */
  query(user: string, password: string): Promise<number>;
  /** Whether a login role with this name exists on the server (roles are cluster-wide). */
  roleExists(user: string): Promise<boolean>;
  /** A token carrying only the app policy. */
  appToken(): Promise<string>;
  /** An AppRole for the app policy (token TTLs default to 1h): its role ID and a fresh secret ID. */
  approle(o?: { tokenTtl?: number; tokenMaxTtl?: number }): Promise<{ roleId: string; secretId: string }>;
}

async function expectOk(tr: TestRuntime, method: string, path: string, body?: unknown) {
  const res = await tr.call(method, path, { body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function e2e(t: Teardown, o: { defaultTtl: number; maxTtl: number }): Promise<E2E> {
  const server = await sharedPostgres();
  const dbUrl = await freshPgDatabase(t);
  const dbName = new URL(dbUrl).pathname.slice(1);
  const tag = `c${randomBytes(4).toString('hex')}`;
  const group = `${tag}_read`;

  const run = async <T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => {});
    }
  };
  await run(dbUrl, async (c) => {
    await c.query(`CREATE ROLE "${group}" NOLOGIN`);
    await c.query('CREATE TABLE items (id int)');
    await c.query('INSERT INTO items VALUES (1), (2), (3)');
    await c.query(`GRANT SELECT ON items TO "${group}"`);
  });
  t.teardown(() => run(server.url, async (c) => {
    // Whatever a failed test left behind: members of our group, then the group itself.
    const { rows } = await c.query<{ name: string }>(
      'SELECT r.rolname AS name FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = $1', [group]);
    for (const { name } of rows) await c.query(`DROP ROLE IF EXISTS "${name}"`).catch(() => {});
    await run(dbUrl, (d) => d.query(`REVOKE ALL ON items FROM "${group}"`)).catch(() => {});
    await c.query(`DROP ROLE IF EXISTS "${group}"`).catch(() => {});
  }));

  const tr = await testRuntime(t, { background: true, env: { LESSOR_REAPER_INTERVAL_MS: '100' } });
  const address = await tr.listen();
  await expectOk(tr, 'PUT', `database/config/${tag}`, {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${server.port}/${dbName}`,
    username: server.user, password: server.password, allowed_roles: '*',
  });
  await expectOk(tr, 'PUT', `database/roles/${tag}`, {
    db_name: tag,
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "${group}"`],
    default_ttl: o.defaultTtl, max_ttl: o.maxTtl,
  });
  const leaseRules = { capabilities: ['update', 'sudo'] };
  await expectOk(tr, 'PUT', `sys/policies/acl/${tag}`, {
    policy: JSON.stringify({
      path: {
        'database/creds/*': { capabilities: ['read'] },
        'sys/leases/renew': leaseRules, 'sys/leases/lookup': leaseRules, 'sys/leases/revoke': leaseRules,
      },
    }),
  });

  return {
    tr, address, role: tag, policy: tag, dbUrl,
    query: (user, password) => {
      const u = new URL(dbUrl);
      u.username = user;
      u.password = password;
      return run(u.toString(), async (c) => (await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n as number);
    },
    roleExists: (user) => run(server.url, async (c) => (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount === 1),
    appToken: async () => {
      const body = await expectOk(tr, 'PUT', 'auth/token/create', { policies: [tag], ttl: '1h' });
      return body.auth.client_token as string;
    },
    approle: async (a = {}) => {
      await expectOk(tr, 'PUT', `auth/approle/role/${tag}`, {
        token_policies: [tag], token_ttl: a.tokenTtl ?? 3600, ...(a.tokenMaxTtl ? { token_max_ttl: a.tokenMaxTtl } : {}),
      });
      const roleId = (await expectOk(tr, 'GET', `auth/approle/role/${tag}/role-id`)).data.role_id as string;
      const secretId = (await expectOk(tr, 'PUT', `auth/approle/role/${tag}/secret-id`)).data.secret_id as string;
      return { roleId, secretId };
    },
  };
}
