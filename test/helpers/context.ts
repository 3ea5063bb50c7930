// Per-test-file isolation on top of the servers shared by the whole run.
//
// Under `npm test`, run-tests.ts starts one server of each kind and passes them
// in LESSOR_TEST_* env vars (see run-tests.ts). When a file is run directly
// (`npx tap test/x.test.ts`) those are missing, and the first helper that needs
// a server starts a private one for this process, removed again when it exits.
import pg from 'pg';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { randomSecret } from './proc.js';
import { startMariadb, startPostgres, startRedis, type ServerHandle } from './servers.js';

/** Anything with tap's t.teardown(); keeps these helpers usable from any subtest. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface ServerInfo {
  /** Admin URL including the password (postgres: db 'postgres'; mariadb: no db). */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface SharedServers {
  pg: ServerInfo;
  mariadb: ServerInfo;
  redis: ServerInfo;
}

function fromUrl(url: string, password?: string): ServerInfo {
  const u = new URL(url);
  return {
    url, host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username),
    password: password ?? decodeURIComponent(u.password),
  };
}

const fromHandle = (h: ServerHandle): ServerInfo =>
  ({ url: h.url(), host: h.host, port: h.port, user: h.user, password: h.password });

const cache = new Map<string, Promise<ServerInfo>>();

/** Env var if set, else a server started once for this process. */
function shared(envUrl: string, envPassword: string | undefined, start: () => Promise<ServerHandle>): Promise<ServerInfo> {
  let p = cache.get(envUrl);
  if (!p) {
    const url = process.env[envUrl];
    p = url ? Promise.resolve(fromUrl(url, envPassword && process.env[envPassword])) : start().then(fromHandle);
    cache.set(envUrl, p);
  }
  return p;
}

export const sharedPostgres = () => shared('LESSOR_TEST_PG_URL', 'LESSOR_TEST_PG_PASSWORD', startPostgres);
export const sharedMariadb = () => shared('LESSOR_TEST_MARIADB_URL', 'LESSOR_TEST_MARIADB_PASSWORD', startMariadb);
export const sharedRedis = () => shared('LESSOR_TEST_REDIS_URL', undefined, startRedis);

export async function sharedServers(): Promise<SharedServers> {
  const [pgInfo, mariadb, redis] = await Promise.all([sharedPostgres(), sharedMariadb(), sharedRedis()]);
  return { pg: pgInfo, mariadb, redis };
}

/** Database names are unique per call, so files running in parallel never collide. */
const uniqueName = () => `lessor_t_${randomSecret(6)}`;

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {}); // a server stopped mid-test must not crash the process
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** A new empty PostgreSQL database; returns its URL (superuser, with password). Dropped at teardown. */
export async function freshPgDatabase(t: Teardown): Promise<string> {
  const admin = (await sharedPostgres()).url;
  const name = uniqueName();
  await withPg(admin, (c) => c.query(`CREATE DATABASE "${name}"`));
  // FORCE terminates leftover connections (e.g. a pool the test forgot to end).
  t.teardown(() => withPg(admin, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A new empty MariaDB database; returns its URL (root, with password). Dropped at teardown. */
export async function freshMariadbDatabase(t: Teardown): Promise<string> {
  const info = await sharedMariadb();
  const name = uniqueName();
  const admin = () => mysql.createConnection({ host: info.host, port: info.port, user: info.user, password: info.password });
  const c = await admin();
  await c.query(`CREATE DATABASE \`${name}\``).finally(() => c.end());
  t.teardown(async () => {
    const c = await admin();
    try {
      // DROP DATABASE would block on metadata locks held by open transactions.
      const [rows] = await c.query<mysql.RowDataPacket[]>(
        'SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [name]);
      for (const { ID } of rows) await c.query('KILL ?', [ID]).catch(() => {});
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await c.end();
    }
  });
  const u = new URL(info.url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A key prefix unique to this caller, e.g. "t3f9a1c:". No braces: lessor wraps
 * it in a {hash tag} itself. At teardown every key containing it is deleted.
 */
export function redisPrefix(t: Teardown): string {
  const prefix = `t${randomSecret(5)}:`;
  t.teardown(async () => {
    const r = new Redis((await sharedRedis()).url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await r.connect();
      // *prefix* rather than prefix*: keys look like "{prefix}..." once lessor adds the hash tag.
      const stream = r.scanStream({ match: `*${prefix}*`, count: 1000 });
      for await (const keys of stream as AsyncIterable<string[]>) if (keys.length) await r.unlink(...keys);
    } finally {
      r.disconnect();
    }
  });
  return prefix;
}

async function own(t: Teardown, start: () => Promise<ServerHandle>): Promise<ServerHandle> {
  const h = await start();
  t.teardown(() => h.destroy());
  return h;
}

/** A private server for fault injection (stop()/start()); destroyed at teardown. */
export const ownPostgres = (t: Teardown) => own(t, startPostgres);
export const ownMariadb = (t: Teardown) => own(t, startMariadb);
export const ownRedis = (t: Teardown) => own(t, startRedis);
