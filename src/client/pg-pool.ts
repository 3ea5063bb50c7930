import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { LessorClient } from './client.js';
import type { Credential, Lease, LeaseOptions } from './lease.js';
import { retireWhenIdle, type PoolOwnerEvents } from './pool-common.js';

type DbCreds = { username: string; password: string };

export interface PgPoolOptions {
  client: LessorClient;
  /** Role name under the mount: credentials come from `<mount>/creds/<role>`. */
  role: string;
  mount?: string;
  /** Everything but user/password, which come from lessor. */
  pool?: pg.PoolConfig;
  lease?: LeaseOptions;
  /** Revoke the current lease on end() (default true). */
  revokeOnEnd?: boolean;
}

/** 28P01 invalid_password: the user is gone, expired (VALID UNTIL) or never existed. */
const isAuthFailure = (err: unknown) => (err as { code?: string })?.code === '28P01';

/**
 * A pg.Pool look-alike whose connections always use current lessor credentials. Each lease has
 * its own pg.Pool; on rotation new checkouts go to the new pool at once, the old pool closes its
 * idle clients and lets busy ones finish (pg's end()), and the old lease is revoked once the old
 * pool is empty — so no query fails because of a rotation.
 */
export class RotatingPgPool extends EventEmitter<PoolOwnerEvents> {
  readonly lease: Lease<DbCreds>;
  private active: { pool: pg.Pool; cred: Credential<DbCreds> } | undefined;
  private readonly retiring = new Set<{ pool: pg.Pool; done: Promise<void> }>();
  private ready: Promise<void> | undefined;
  private ended = false;

  constructor(private readonly opts: PgPoolOptions) {
    super();
    this.lease = opts.client.lease<DbCreds>(`${opts.mount ?? 'database'}/creds/${opts.role}`, opts.lease);
    this.lease.on('rotated', ({ previous, current, reason }) => this.swap(previous, current, reason));
    this.lease.on('error', (err) => this.emit('leaseError', err));
  }

  /** Fetches the first credentials (done lazily by the first query otherwise). */
  async start(): Promise<void> {
    this.ready ??= this.lease.start().then((cred) => {
      this.active ??= { pool: this.makePool(cred), cred };
    });
    return this.ready;
  }

  async connect(): Promise<pg.PoolClient> {
    if (this.ended) throw new Error('Cannot use a pool after calling end on the pool');
    await this.start();
    const pool = this.active!.pool; // read and used in the same tick: no rotation can slip between
    try {
      return await pool.connect();
    } catch (err) {
      if (!isAuthFailure(err)) throw err;
      // Refused before the lease said so (revoked early, lost lease): one retry with fresh credentials.
      if (this.active!.pool === pool) await this.lease.rotate('forced');
      return this.active!.pool.connect();
    }
  }

  query<R extends pg.QueryResultRow = any>(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>;
  query<R extends pg.QueryResultRow = any>(text: string | pg.QueryConfig, cb: (err: Error | null, res?: pg.QueryResult<R>) => void): void;
  query<R extends pg.QueryResultRow = any>(text: string | pg.QueryConfig, values: unknown[], cb: (err: Error | null, res?: pg.QueryResult<R>) => void): void;
  query<R extends pg.QueryResultRow = any>(text: string | pg.QueryConfig, ...rest: unknown[]): Promise<pg.QueryResult<R>> | void {
    const cb = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as (e: Error | null, r?: pg.QueryResult<R>) => void) : undefined;
    const values = rest[0] as unknown[] | undefined;
    const run = (async () => {
      const c = await this.connect();
      try {
        const res = await c.query<R>(text as string, values);
        c.release();
        return res;
      } catch (err) {
        c.release(err as Error); // as pg.Pool does: a client that failed a query is not reused
        throw err;
      }
    })();
    if (!cb) return run;
    run.then((r) => cb(null, r), (e: Error) => cb(e));
  }

  get totalCount(): number { return this.pools().reduce((n, p) => n + p.totalCount, 0); }
  get idleCount(): number { return this.pools().reduce((n, p) => n + p.idleCount, 0); }
  get waitingCount(): number { return this.pools().reduce((n, p) => n + p.waitingCount, 0); }
  /** The database user new connections log in as (undefined before the first query). */
  get username(): string | undefined { return this.active?.cred.data?.username; }

  /** Stops renewing, waits for busy clients, closes everything and revokes the leases. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.lease.stop();
    const last = this.active;
    this.active = undefined;
    await Promise.all([...this.retiring].map((r) => r.done));
    if (last) await this.retire(last.pool, last.cred, this.opts.revokeOnEnd ?? true);
  }

  private pools(): pg.Pool[] {
    return [...(this.active ? [this.active.pool] : []), ...[...this.retiring].map((r) => r.pool)];
  }

  private makePool(cred: Credential<DbCreds>): pg.Pool {
    if (!cred.data?.username) throw new Error(`${this.lease.path}: answer has no username`);
    const { username: user, password } = cred.data;
    const base = { ...this.opts.pool, user, password };
    if (base.connectionString) base.connectionString = withCredentials(base.connectionString, user, password);
    const pool = new pg.Pool(base);
    // pg emits idle-client errors here; without a listener they would crash the process.
    pool.on('error', (err) => { if (this.listenerCount('error') > 0) this.emit('error', err); });
    return pool;
  }

  private swap(previous: Credential<DbCreds>, current: Credential<DbCreds>, reason: string): void {
    if (this.ended) {
      // end() ran while these were being fetched: nobody will use them.
      void this.opts.client.revoke(current.leaseId).catch(() => {});
      return;
    }
    const old = this.active;
    this.active = { pool: this.makePool(current), cred: current };
    this.emit('rotated', { previousLeaseId: previous.leaseId, leaseId: current.leaseId, username: current.data?.username, reason });
    if (old) {
      const entry = { pool: old.pool, done: this.retire(old.pool, old.cred, true) };
      this.retiring.add(entry);
      void entry.done.finally(() => this.retiring.delete(entry));
    }
  }

  private async retire(pool: pg.Pool, cred: Credential<DbCreds>, revoke: boolean): Promise<void> {
    // Requests queued on the old pool still get its clients; end() would strand them.
    await retireWhenIdle(pool, () => pool.waitingCount === 0);
    await pool.end();
    if (!revoke) return;
    try {
      await this.opts.client.revoke(cred.leaseId);
      this.emit('revoked', { leaseId: cred.leaseId });
    } catch (err) {
      this.emit('leaseError', err as Error);
    }
  }
}

/**
 * pg lets everything parsed from a connection string override the user/password fields (even
 * an absent user, as ''), so lessor's credentials go into the string itself, as query
 * parameters — they work for host and socket URLs alike — and any userinfo is dropped.
 */
function withCredentials(connectionString: string, user: string, password: string): string {
  const u = new URL(connectionString);
  u.username = '';
  u.password = '';
  u.searchParams.set('user', user);
  u.searchParams.set('password', password);
  return u.toString();
}

export function createPgPool(opts: PgPoolOptions): RotatingPgPool {
  return new RotatingPgPool(opts);
}
