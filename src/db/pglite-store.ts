import { PGlite } from '@electric-sql/pglite';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlQueryable, SqlStore } from './sql-store.js';

/** Made by scripts/make-pglite-template.mjs at build time; see there for why. */
function templatePath(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/src/')
    ? fileURLToPath(new URL('../../pglite-template/', import.meta.url))
    : fileURLToPath(new URL('../../dist/pglite-template/', import.meta.url));
}

/**
 * Embedded PostgreSQL for `lessor dev`. PGlite is a single connection, so transactions are
 * serialised by PGlite itself (its transaction() holds an exclusive lock).
 */
export class PgliteStore implements SqlStore {
  readonly driver = 'pglite' as const;
  private constructor(private readonly db: PGlite) {}

  /** Wraps an open PGlite (the build's template maker migrates one this way). */
  static wrap(db: PGlite): PgliteStore {
    return new PgliteStore(db);
  }

  /** dataDir undefined keeps everything in memory (tests). */
  static async open(dataDir?: string): Promise<PgliteStore> {
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true });
      const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
      if (fresh && existsSync(join(templatePath(), 'PG_VERSION'))) cpSync(templatePath(), dataDir, { recursive: true });
    }
    const db = await PGlite.create({ dataDir });
    return new PgliteStore(db);
  }

  async query<R>(sql: string, params: unknown[] = []) {
    const res = await this.db.query<R>(sql, params);
    return { rows: res.rows, rowCount: res.rows.length || (res.affectedRows ?? 0) };
  }

  async exec(sql: string) {
    await this.db.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) =>
      fn({
        async query<R>(sql: string, params: unknown[] = []) {
          const res = await t.query<R>(sql, params);
          return { rows: res.rows, rowCount: res.rows.length || (res.affectedRows ?? 0) };
        },
        async exec(sql: string) {
          await t.exec(sql);
        },
      }),
    );
  }

  async ping() {
    await this.db.query('SELECT 1');
  }

  async close() {
    await this.db.close();
  }
}
