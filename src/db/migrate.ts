import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { SqlStore } from './sql-store.js';

/** migrations/ sits at the package root, both beside src/ and beside dist/src/. */
export function defaultMigrationsDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/src/')
    ? fileURLToPath(new URL('../../../migrations/', import.meta.url))
    : fileURLToPath(new URL('../../migrations/', import.meta.url));
}

// One fixed key for pg_advisory_xact_lock: every replica that migrates takes the same lock, so
// two replicas starting together apply each file once; the second waits, then sees it recorded.
const MIGRATION_LOCK_KEY = 0x1e550;

export async function migrate(store: SqlStore, dir = defaultMigrationsDir()): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const sql = await readFile(`${dir}/${file}`, 'utf8');
    const didApply = await store.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rowCount } = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [file]);
      if (rowCount > 0) return false;
      await tx.exec(sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      return true;
    });
    if (didApply) applied.push(file);
  }
  return applied;
}
