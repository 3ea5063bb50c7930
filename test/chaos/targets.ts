// The two target databases of a chaos run, each its own server (so it can be stopped without
// touching the config store): the test fixtures' least-privilege admin and role, plus what the
// probes need: the list of lessor's users and a login that tells "refused" from "unreachable".
import pg from 'pg';
import mysql from 'mysql2/promise';
import { ownMariadb, ownPostgres, type Teardown } from '../helpers/context.js';
import type { ServerHandle } from '../helpers/servers.js';
import { pgFixture } from '../database/pg-fixture.js';
import { mariadbFixture } from '../database/mariadb-fixture.js';
import type { Engine } from './ledger.js';

export type LoginResult = 'ok' | 'refused' | 'unreachable';

export interface Target {
  engine: Engine;
  server: ServerHandle;
  /** database/config/<engine> body. */
  config: Record<string, unknown>;
  /** database/roles/<engine> body. */
  role: Record<string, unknown>;
  /** Usernames lessor made (the fixture's tag prefix); throws while the server is down. */
  listUsers(): Promise<Set<string>>;
  login(user: string, password: string): Promise<LoginResult>;
  close(): Promise<void>;
}

export interface Ttls {
  defaultTtlSec: number;
  maxTtlSec: number;
}

const info = (s: ServerHandle) => ({ url: s.url(), host: s.host, port: s.port, user: s.user, password: s.password });

export async function postgresTarget(t: Teardown, ttl: Ttls): Promise<Target> {
  const server = await ownPostgres(t);
  const fx = await pgFixture(t, info(server));
  const admin = new pg.Pool({ connectionString: fx.dbUrl, max: 1, connectionTimeoutMillis: 2000 });
  admin.on('error', () => {}); // the server is stopped on purpose
  return {
    engine: 'pg', server,
    config: { ...fx.config, allowed_roles: '*' },
    role: { ...fx.groupRole, db_name: 'pg', default_ttl: `${ttl.defaultTtlSec}s`, max_ttl: `${ttl.maxTtlSec}s` },
    async listUsers() {
      const { rows } = await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`${fx.tag}-%`]);
      return new Set(rows.map((r) => r.rolname));
    },
    async login(user, password) {
      const u = new URL(fx.dbUrl);
      u.username = encodeURIComponent(user);
      u.password = encodeURIComponent(password);
      const c = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 3000 });
      c.on('error', () => {});
      try {
        await c.connect();
        return 'ok';
      } catch (err) {
        // 28P01 bad password / expired VALID UNTIL / no such role; 28000 NOLOGIN.
        const code = (err as { code?: string }).code;
        return code === '28P01' || code === '28000' ? 'refused' : 'unreachable';
      } finally {
        await c.end().catch(() => {});
      }
    },
    close: () => admin.end(),
  };
}

export async function mariadbTarget(t: Teardown, ttl: Ttls): Promise<Target> {
  const server = await ownMariadb(t);
  const fx = await mariadbFixture(t, info(server));
  const admin = mysql.createPool({ host: server.host, port: server.port, user: server.user, password: server.password, connectionLimit: 1, connectTimeout: 2000 });
  return {
    engine: 'mariadb', server,
    config: { ...fx.config, allowed_roles: '*' },
    role: { ...fx.role, default_ttl: `${ttl.defaultTtlSec}s`, max_ttl: `${ttl.maxTtlSec}s` },
    async listUsers() {
      const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT User FROM mysql.user WHERE User LIKE ?', [`${fx.tag}-%`]);
      return new Set(rows.map((r) => String(r.User)));
    },
    async login(user, password) {
      let c: mysql.Connection | undefined;
      try {
        c = await mysql.createConnection({ host: server.host, port: server.port, user, password, database: fx.dbName, connectTimeout: 3000 });
        return 'ok';
      } catch (err) {
        // 1045 access denied (no such user or wrong password); anything else says nothing about the user.
        return (err as { errno?: number }).errno === 1045 ? 'refused' : 'unreachable';
      } finally {
        await c?.end().catch(() => {});
      }
    },
    close: () => admin.end(),
  };
}
