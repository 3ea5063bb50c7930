// A MariaDB target with a least-privilege admin: CREATE USER, SELECT on mysql.user (reconciler),
// SELECT on the app database WITH GRANT OPTION, PROCESS and CONNECTION ADMIN (ending sessions).
// Users are server-wide, so every name carries the fixture's tag and is removed at teardown.
import mysql from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { freshMariadbDatabase, sharedMariadb, type ServerInfo, type Teardown } from '../helpers/context.js';
import type { DatabaseConfig, DatabaseRole } from '../../plugins/sdk/database.js';

export interface MariadbFixture {
  tag: string;
  dbName: string;
  admin: string;
  adminPassword: string;
  config: DatabaseConfig;
  /** Schema-level grant: MySQL's grant tables do not grow per object the way PostgreSQL ACLs do. */
  role: DatabaseRole;
  root<T = any>(sql: string, params?: unknown[]): Promise<T>;
  login(user: string, password: string): Promise<mysql.Connection | null>;
  canSelect(user: string, password: string): Promise<boolean>;
  canInsert(user: string, password: string): Promise<boolean>;
  userExists(user: string): Promise<boolean>;
}

export async function mariadbFixture(t: Teardown, server?: ServerInfo): Promise<MariadbFixture> {
  const info = server ?? (await sharedMariadb());
  const rootConn = () => mysql.createConnection({ host: info.host, port: info.port, user: info.user, password: info.password, connectTimeout: 5000 });
  const root = async (sql: string, params?: unknown[]) => {
    const c = await rootConn();
    try {
      return (await c.query(sql, params))[0] as any;
    } finally {
      await c.end();
    }
  };
  let dbName: string;
  if (server) {
    dbName = `lessor_own_${randomBytes(3).toString('hex')}`;
    await root(`CREATE DATABASE \`${dbName}\``);
  } else {
    dbName = new URL(await freshMariadbDatabase(t)).pathname.slice(1);
  }
  const tag = `t${randomBytes(4).toString('hex')}`;
  const admin = `${tag}_admin`;
  const adminPassword = randomBytes(12).toString('hex');
  await root(`CREATE TABLE \`${dbName}\`.items (id INT)`);
  await root(`INSERT INTO \`${dbName}\`.items VALUES (1), (2)`);
  await root('CREATE USER ?@? IDENTIFIED BY ?', [admin, '%', adminPassword]);
  await root('GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO ?@?', [admin, '%']);
  await root('GRANT SELECT ON mysql.user TO ?@?', [admin, '%']);
  await root(`GRANT SELECT ON \`${dbName}\`.* TO ?@? WITH GRANT OPTION`, [admin, '%']);

  t.teardown(async () => {
    const rows = await root('SELECT User, Host FROM mysql.user WHERE User LIKE ?', [`${tag}%`]).catch(() => []);
    for (const r of rows as Array<{ User: string; Host: string }>) await root('DROP USER IF EXISTS ?@?', [r.User, r.Host]).catch(() => {});
    if (server) await root(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => {});
  });

  const login = async (user: string, password: string) => {
    try {
      return await mysql.createConnection({ host: info.host, port: info.port, user, password, database: dbName, connectTimeout: 5000 });
    } catch {
      return null;
    }
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
    tag, dbName, admin, adminPassword,
    config: {
      plugin_name: 'mysql-database-plugin',
      connection_url: `{{username}}:{{password}}@tcp(${info.host}:${info.port})/`,
      username: admin,
      password: adminPassword,
      verify_connection: true,
      max_open_connections: 5,
      username_template: `{{ printf "${tag}-%s-%s" (.RoleName | truncate 4) (random 12) | truncate 32 }}`,
    },
    role: {
      db_name: 'mariadb',
      creation_statements: `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON \`${dbName}\`.* TO '{{name}}'@'%';`,
      default_ttl: '1h',
    },
    root,
    login,
    canSelect: (u, p) => attempt(u, p, 'SELECT count(*) FROM items'),
    canInsert: (u, p) => attempt(u, p, 'INSERT INTO items VALUES (3)'),
    userExists: async (u) => ((await root('SELECT 1 FROM mysql.user WHERE User = ?', [u])) as unknown[]).length > 0,
  };
}
