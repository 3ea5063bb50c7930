import { EventEmitter } from 'node:events';
import mysql from 'mysql2/promise';
import type { LessorClient } from './client.js';
import type { Credential, Lease, LeaseOptions } from './lease.js';
import type { PoolOwnerEvents } from './pool-common.js';

type DbCreds = { username: string; password: string };

export interface MysqlPoolOptions {
  client: LessorClient;
  /** Role name under the mount: credentials come from `<mount>/creds/<role>`. */
  role: string;
  mount?: string;
  /** Everything but user/password, which come from lessor. */
  pool?: mysql.PoolOptions;
  lease?: LeaseOptions;
  /** Revoke the current lease on end() (default true). */
  revokeOnEnd?: boolean;
}

/** 1045 ER_ACCESS_DENIED_ERROR: the user is gone or its password no longer matches. */
const isAuthFailure = (err: unknown) => (err as { code?: string })?.code === 'ER_ACCESS_DENIED_ERROR';

interface Generation {
  pool: mysql.Pool;
  cred: Credential<DbCreds>;
  /** Connections checked out through us: mysql2's end() would cut busy ones, so we wait for 0. */
  busy: number;
  onIdle?: () => void;
}

/**
 * The mysql2/promise counterpart of RotatingPgPool: one mysql2 pool per lease; on rotation new
 * checkouts use the new pool, the old one ends once its last busy connection is released, and
 * then its lease is revoked. All work goes through getConnection(), which counts checkouts.
 */
export class RotatingMysqlPool extends EventEmitter<PoolOwnerEvents> {
  readonly lease: Lease<DbCreds>;
  private active: Generation | undefined;
  private readonly retiring = new Set<Promise<void>>();
  private ready: Promise<void> | undefined;
  private ended = false;

  constructor(private readonly opts: MysqlPoolOptions) {
    super();
    this.lease = opts.client.lease<DbCreds>(`${opts.mount ?? 'database'}/creds/${opts.role}`, opts.lease);
    this.lease.on('rotated', ({ previous, current, reason }) => this.swap(previous, current, reason));
    this.lease.on('error', (err) => this.emit('leaseError', err));
  }

  async start(): Promise<void> {
    this.ready ??= this.lease.start().then((cred) => {
      this.active ??= this.makeGeneration(cred);
    });
    return this.ready;
  }

  async getConnection(): Promise<mysql.PoolConnection> {
    if (this.ended) throw new Error('Pool is closed.');
    await this.start();
    const gen = this.active!;
    try {
      return await this.checkout(gen);
    } catch (err) {
      if (!isAuthFailure(err)) throw err;
      if (this.active === gen) await this.lease.rotate('forced');
      return this.checkout(this.active!);
    }
  }

  async query<T extends mysql.QueryResult = mysql.RowDataPacket[]>(sql: string, values?: mysql.QueryValues): Promise<[T, mysql.FieldPacket[]]> {
    const conn = await this.getConnection();
    try {
      return await conn.query<T>(sql, values);
    } finally {
      conn.release();
    }
  }

  async execute<T extends mysql.QueryResult = mysql.RowDataPacket[]>(sql: string, values?: mysql.ExecuteValues): Promise<[T, mysql.FieldPacket[]]> {
    const conn = await this.getConnection();
    try {
      return await conn.execute<T>(sql, values);
    } finally {
      conn.release();
    }
  }

  /** The database user new connections log in as (undefined before the first query). */
  get username(): string | undefined { return this.active?.cred.data?.username; }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.lease.stop();
    const last = this.active;
    this.active = undefined;
    await Promise.all([...this.retiring]);
    if (last) await this.retire(last, this.opts.revokeOnEnd ?? true);
  }

  private async checkout(gen: Generation): Promise<mysql.PoolConnection> {
    gen.busy++;
    let conn: mysql.PoolConnection;
    try {
      conn = await gen.pool.getConnection();
    } catch (err) {
      this.checkin(gen);
      throw err;
    }
    const release = conn.release.bind(conn);
    let released = false;
    conn.release = () => {
      if (released) return;
      released = true;
      release();
      this.checkin(gen);
    };
    return conn;
  }

  private checkin(gen: Generation): void {
    gen.busy--;
    if (gen.busy === 0) gen.onIdle?.();
  }

  private makeGeneration(cred: Credential<DbCreds>): Generation {
    if (!cred.data?.username) throw new Error(`${this.lease.path}: answer has no username`);
    const pool = mysql.createPool({ ...this.opts.pool, user: cred.data.username, password: cred.data.password });
    return { pool, cred, busy: 0 };
  }

  private swap(previous: Credential<DbCreds>, current: Credential<DbCreds>, reason: string): void {
    if (this.ended) {
      // end() ran while these were being fetched: nobody will use them.
      void this.opts.client.revoke(current.leaseId).catch(() => {});
      return;
    }
    const old = this.active;
    this.active = this.makeGeneration(current);
    this.emit('rotated', { previousLeaseId: previous.leaseId, leaseId: current.leaseId, username: current.data?.username, reason });
    if (old) {
      const done = this.retire(old, true);
      this.retiring.add(done);
      void done.finally(() => this.retiring.delete(done));
    }
  }

  private async retire(gen: Generation, revoke: boolean): Promise<void> {
    if (gen.busy > 0) await new Promise<void>((resolve) => { gen.onIdle = resolve; });
    await gen.pool.end().catch(() => {});
    if (!revoke) return;
    try {
      await this.opts.client.revoke(gen.cred.leaseId);
      this.emit('revoked', { leaseId: gen.cred.leaseId });
    } catch (err) {
      this.emit('leaseError', err as Error);
    }
  }
}

export function createMysqlPool(opts: MysqlPoolOptions): RotatingMysqlPool {
  return new RotatingMysqlPool(opts);
}
