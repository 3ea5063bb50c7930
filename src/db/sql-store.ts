/**
 * The config store's one interface over two drivers: node-postgres for production and embedded
 * PGlite for `lessor dev`. Every repository speaks plain PostgreSQL SQL with $n parameters, so
 * the same statements and migrations run on both.
 */
export interface SqlQueryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlStore extends SqlQueryable {
  readonly driver: 'postgres' | 'pglite';
  /** Runs fn inside BEGIN/COMMIT on one connection; rolls back if fn throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Throws if the store does not answer; used by health checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
