import { join } from 'node:path';
import { PgStore } from './pg-store.js';
import { PgliteStore } from './pglite-store.js';
import type { SqlStore } from './sql-store.js';

/** PostgreSQL when a URL is configured, else PGlite in `<dataDir>/config` (or memory). */
export async function openSqlStore(opts: { databaseUrl?: string; dataDir?: string; inMemory?: boolean }): Promise<SqlStore> {
  if (opts.databaseUrl) return new PgStore(opts.databaseUrl);
  return PgliteStore.open(opts.inMemory ? undefined : join(opts.dataDir ?? './.lessor-data', 'config'));
}
