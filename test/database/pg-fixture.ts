// A PostgreSQL target as managed databases give it: a fresh database, an admin that is NOT a
// superuser (CREATEROLE, the group role WITH ADMIN OPTION, pg_signal_backend), a group role that
// may SELECT from a table owned by someone else, and per-fixture names so files can run in
// parallel on the shared cluster (roles are cluster-wide).
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { freshPgDatabase, sharedPostgres, type ServerInfo, type Teardown } from '../helpers/context.js';
import type { DatabaseConfig, DatabaseRole } from '../../plugins/sdk/database.js';

export interface PgFixture {
  tag: string;
  dbUrl: string;
  dbName: string;
  server: { host: string; port: number };
  admin: string;
  adminPassword: string;
  group: string;
  config: DatabaseConfig;
  /** Grants through the group role (the pattern lessor teaches). */
  groupRole: DatabaseRole;
  /** Per-table GRANT (still supported; the case that collides under concurrency). */
  tableRole: DatabaseRole;
  /** Runs SQL as the superuser in the fixture's database. */
  su<T extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  /** Logs in as a user: null if refused, else a connected client (ended at teardown). */
  login(user: string, password: string): Promise<pg.Client | null>;
  canSelect(user: string, password: string): Promise<boolean>;
  canInsert(user: string, password: string): Promise<boolean>;
  roleExists(user: string): Promise<boolean>;
}

export async function pgFixture(t: Teardown, server?: ServerInfo): Promise<PgFixture> {
  const info = server ?? (await sharedPostgres());
  let dbUrl: string;
  if (server) {
    const name = `lessor_own_${randomBytes(3).toString('hex')}`;
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query(`CREATE DATABASE "${name}"`);
    await c.end();
    const u = new URL(server.url);
    u.pathname = `/${name}`;
    dbUrl = u.toString();
  } else {
    dbUrl = await freshPgDatabase(t);
  }
  const dbName = new URL(dbUrl).pathname.slice(1);
  const tag = `t${randomBytes(4).toString('hex')}`;
  const admin = `${tag}_admin`;
  const group = `${tag}_app`;
  const adminPassword = randomBytes(12).toString('hex');
  const clients: pg.Client[] = [];

  const su = async (sql: string, params?: unknown[]) => {
    const c = new pg.Client({ connectionString: dbUrl });
    c.on('error', () => {});
    await c.connect();
    try {
      return await c.query(sql, params);
    } finally {
      await c.end();
    }
  };

  await su(`CREATE ROLE "${admin}" LOGIN CREATEROLE PASSWORD '${adminPassword}'`);
  await su(`CREATE ROLE "${group}" NOLOGIN`);
  await su(`GRANT "${group}" TO "${admin}" WITH ADMIN OPTION`);
  await su(`GRANT pg_signal_backend TO "${admin}"`);
  // The table belongs to the superuser: the admin does not own it, only holds grant options.
  await su('CREATE TABLE items (id int)');
  await su('INSERT INTO items VALUES (1), (2)');
  await su(`GRANT SELECT ON items TO "${group}"`);
  await su(`GRANT SELECT ON items TO "${admin}" WITH GRANT OPTION`);

  t.teardown(async () => {
    for (const c of clients) await c.end().catch(() => {});
    // Roles are cluster-wide: remove ours (and any user a test left behind) from the server.
    const c = new pg.Client({ connectionString: info.url });
    c.on('error', () => {});
    await c.connect();
    try {
      const { rows } = await c.query("SELECT rolname FROM pg_roles WHERE rolname LIKE $1 ORDER BY rolname = $2, rolname = $3",
        [`${tag}%`, group, admin]);
      for (const { rolname } of rows) {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [rolname]).catch(() => {});
        await c.query(`DROP ROLE IF EXISTS "${rolname}"`).catch(async () => {
          await su(`DROP OWNED BY "${rolname}"`).catch(() => {});
          await c.query(`DROP ROLE IF EXISTS "${rolname}"`).catch(() => {});
        });
      }
      if (server) await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
    } finally {
      await c.end();
    }
  });

  const login = async (user: string, password: string) => {
    const u = new URL(dbUrl);
    u.username = encodeURIComponent(user);
    u.password = encodeURIComponent(password);
    const c = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
    c.on('error', () => {});
    try {
      await c.connect();
    } catch {
      return null;
    }
    clients.push(c);
    return c;
  };
  const attempt = async (user: string, password: string, sql: string) => {
    const c = await login(user, password);
    if (!c) return false;
    try {
      await c.query(sql);
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  };

  return {
    tag, dbUrl, dbName, admin, adminPassword, group,
    server: { host: info.host, port: info.port },
    config: {
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@${info.host}:${info.port}/${dbName}`,
      username: admin,
      password: adminPassword,
      verify_connection: true,
      max_open_connections: 5,
      username_template: `{{ printf "${tag}-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 16) | truncate 63 }}`,
    },
    groupRole: {
      db_name: 'pg',
      creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "${group}"`],
      default_ttl: '1h',
      max_ttl: '24h',
    },
    tableRole: {
      db_name: 'pg',
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON items TO "{{name}}";`,
    },
    su,
    login,
    canSelect: (u, p) => attempt(u, p, 'SELECT count(*) FROM items'),
    canInsert: (u, p) => attempt(u, p, 'INSERT INTO items VALUES (3)'),
    roleExists: async (u) => (await su('SELECT 1 FROM pg_roles WHERE rolname = $1', [u])).rowCount === 1,
  };
}
