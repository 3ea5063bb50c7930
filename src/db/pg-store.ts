import pg from 'pg';
import type { SqlQueryable, SqlStore } from './sql-store.js';
import { unavailable } from '../errors.js';

// Connection-level failures (refused, reset, timed out, server shutting down) mean the config
// store is unreachable: a 503 for the caller, not a 500.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH',
  '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004',
]);

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && UNREACHABLE_CODES.has(e.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i
    .test(e?.message ?? '');
}

function wrap(err: unknown): never {
  if (isUnreachable(err)) throw unavailable('config store (PostgreSQL) is unreachable', err);
  throw err;
}

export class PgStore implements SqlStore {
  readonly driver = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(connectionString: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    this.pool.on('error', () => {});
  }

  async query<R>(sql: string, params: unknown[] = []) {
    try {
      const res = await this.pool.query(sql, params);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    } catch (err) {
      return wrap(err);
    }
  }

  async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      return wrap(err);
    }
    const tx: SqlQueryable = {
      async query<R>(sql: string, params: unknown[] = []) {
        const res = await client.query(sql, params);
        return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
      },
      async exec(sql: string) {
        await client.query(sql);
      },
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      return wrap(err);
    } finally {
      client.release();
    }
  }

  async exec(sql: string) {
    try {
      await this.pool.query(sql);
    } catch (err) {
      wrap(err);
    }
  }

  async ping() {
    await this.query('SELECT 1');
  }

  async close() {
    await this.pool.end();
  }
}
