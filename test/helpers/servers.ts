// Real database servers for tests. Prefers the locally installed binaries (fast,
// no Docker needed), falls back to Docker via testcontainers, and otherwise fails
// loudly: a test that needs a server must never be skipped silently.
import { existsSync } from 'node:fs';
import { pgBinDir, startLocalPostgres } from './local-postgres.js';
import { MARIADB_BINS, startLocalMariadb } from './local-mariadb.js';
import { REDIS_BIN, startLocalRedis } from './local-redis.js';

export type ServerKind = 'postgres' | 'mariadb' | 'redis';

export interface ServerHandle {
  kind: ServerKind;
  host: string;
  port: number;
  /** Admin user: postgres / root / default (redis has no auth). */
  user: string;
  /** Admin password ('' for redis). */
  password: string;
  /** Admin URL; postgres defaults to db 'postgres', mariadb to no db, redis to db 0. */
  url(db?: string): string;
  /** Stop the server; resolves once the process has exited and the port is closed. */
  stop(): Promise<void>;
  /** Start again after stop(): same port, same data. Resolves once it accepts connections. */
  start(): Promise<void>;
  /** stop() and delete all data. */
  destroy(): Promise<void>;
  /** Temp dir holding data and server.log (local servers only). */
  dir?: string;
}

export interface StartOptions {
  /** How long to wait for the server to accept connections (default 60s, redis 30s). */
  timeoutMs?: number;
}

/** What to install when a server is missing; shown in the error. */
export const INSTALL_HINT: Record<ServerKind, string> = {
  postgres: 'postgresql (apt-get install postgresql)',
  mariadb: 'mariadb-server (apt-get install mariadb-server)',
  redis: 'redis-server (apt-get install redis-server)',
};

export type Backend = 'local' | 'docker';

/**
 * LESSOR_TEST_BACKEND=local|docker forces one; default: local binaries if
 * present, else Docker if an engine answers, else a one-line error.
 * dockerCheck returns why Docker is unusable, or undefined if it works.
 */
export async function pickBackend(kind: ServerKind, localOk: boolean,
  dockerCheck: () => Promise<string | undefined> = async () => (await import('./docker-servers.js')).dockerProblem()): Promise<Backend> {
  const forced = process.env.LESSOR_TEST_BACKEND;
  if (forced === 'local') return forced;
  if (localOk && forced !== 'docker') return 'local';
  const problem = await dockerCheck();
  if (problem === undefined) return 'docker';
  if (forced === 'docker') throw new Error(`LESSOR_TEST_BACKEND=docker but Docker is unusable: ${problem}`);
  throw new Error(`no ${kind} server for tests: install ${INSTALL_HINT[kind]} or run a Docker engine (${problem})`);
}

export async function startPostgres(opts?: StartOptions): Promise<ServerHandle> {
  const bin = pgBinDir();
  if (await pickBackend('postgres', bin !== undefined) === 'docker') {
    return (await import('./docker-servers.js')).startDockerPostgres(opts);
  }
  if (!bin) throw new Error(`LESSOR_TEST_BACKEND=local but no /usr/lib/postgresql/*/bin/initdb: install ${INSTALL_HINT.postgres}`);
  return startLocalPostgres(bin, opts);
}

export async function startMariadb(opts?: StartOptions): Promise<ServerHandle> {
  const localOk = existsSync(MARIADB_BINS.install) && existsSync(MARIADB_BINS.server);
  if (await pickBackend('mariadb', localOk) === 'docker') {
    return (await import('./docker-servers.js')).startDockerMariadb(opts);
  }
  return startLocalMariadb(opts);
}

export async function startRedis(opts?: StartOptions): Promise<ServerHandle> {
  if (await pickBackend('redis', existsSync(REDIS_BIN)) === 'docker') {
    return (await import('./docker-servers.js')).startDockerRedis(opts);
  }
  return startLocalRedis(opts);
}
