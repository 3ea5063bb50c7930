// The servers every workload shares, started by the bench itself through the test harness
// (local binaries when installed, else Docker), and the target databases the credentials are
// created in: 20 tables and a group role holding SELECT on them, in PostgreSQL and MariaDB.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { startMariadb, startPostgres, startRedis, type ServerHandle } from '../../test/helpers/servers.js';

export const TABLES = Array.from({ length: 20 }, (_, i) => `bench_t${String(i + 1).padStart(2, '0')}`);
export const PG_GROUP = 'bench_read';
export const MY_GROUP = 'bench_read';
export const TARGET_DB = 'bench_target';

export interface BenchServers {
  pg: ServerHandle;
  mariadb?: ServerHandle;
  redis: ServerHandle;
  /** Superuser URL of the target database. */
  pgTarget: string;
  mariadbError?: string;
  stop(): Promise<void>;
}

export async function startServers(log: (s: string) => void): Promise<BenchServers> {
  log('starting PostgreSQL, MariaDB and Redis (test harness) …');
  const [pgH, redis, my] = await Promise.all([
    startPostgres(),
    startRedis(),
    startMariadb().then((h) => ({ h }), (err: Error) => ({ err })),
  ]);
  const admin = new pg.Client({ connectionString: pgH.url() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TARGET_DB}`);
  await admin.query('CREATE DATABASE lessor_config');
  await admin.end();
  const pgTarget = pgH.url(TARGET_DB);
  const t = new pg.Client({ connectionString: pgTarget });
  await t.connect();
  await t.query(`CREATE ROLE ${PG_GROUP} NOLOGIN`);
  for (const name of TABLES) {
    await t.query(`CREATE TABLE ${name} (id int primary key, v text)`);
    await t.query(`GRANT SELECT ON ${name} TO ${PG_GROUP}`);
  }
  await t.end();

  let mariadb: ServerHandle | undefined;
  let mariadbError: string | undefined;
  if ('h' in my) {
    mariadb = my.h;
    const c = await mysql.createConnection({ host: mariadb.host, port: mariadb.port, user: mariadb.user, password: mariadb.password, multipleStatements: true });
    await c.query(`CREATE DATABASE ${TARGET_DB}`);
    await c.query(`CREATE ROLE ${MY_GROUP}`);
    for (const name of TABLES) {
      await c.query(`CREATE TABLE ${TARGET_DB}.${name} (id int primary key, v text)`);
      await c.query(`GRANT SELECT ON ${TARGET_DB}.${name} TO ${MY_GROUP}`);
    }
    await c.end();
  } else {
    mariadbError = my.err.message;
  }
  return {
    pg: pgH, redis, mariadb, pgTarget, mariadbError,
    async stop() {
      await Promise.all([pgH.destroy(), redis.destroy(), mariadb?.destroy()].map((p) => p?.catch(() => {})));
    },
  };
}

/** What `lessor server` would be started with: real PostgreSQL config store, real Redis. */
export function lessorEnv(s: BenchServers, prefix = `bench${randomBytes(3).toString('hex')}`): Record<string, string> {
  return {
    LESSOR_DATABASE_URL: s.pg.url('lessor_config'),
    LESSOR_REDIS_URL: s.redis.url(),
    LESSOR_REDIS_PREFIX: prefix,
    LESSOR_MASTER_KEY: randomBytes(32).toString('base64'),
    LESSOR_ROOT_TOKEN: `lsr.${randomBytes(16).toString('hex')}`,
    LESSOR_LOG_LEVEL: 'info',
  };
}
