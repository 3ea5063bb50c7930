/**
 * PostgreSQL behind the SQL engine: one bounded pg.Pool per connection config, creation in one
 * transaction (per-object GRANTs take turns, object-grants.ts), and the default revocation that works
 * for a non-superuser CREATEROLE admin.
 *
 * A transaction's statements travel as one simple-protocol query (PostgreSQL runs a
 * multi-statement query as one implicit transaction), so it costs one round trip, not one per
 * statement plus BEGIN and COMMIT. Concurrent creations and default revocations are grouped
 * (group-commit.ts): many credentials share one transaction and one commit.
 */
import pg from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { seconds, type DatabaseConfig } from '../sdk/database.js';
import { renderStatement, type SqlDialect } from '../sdk/statements.js';
import type { SqlBackend } from '../sdk/sql-engine.js';
import type { EngineLogger } from '../sdk/types.js';
import { configError } from '../sdk/errors.js';
import { isRetryable, toEngineError, type Phase } from './errors.js';
import { GroupRunner } from './group-commit.js';
import { inTurnForObjectGrants } from './object-grants.js';

export const pgDialect: SqlDialect = {
  quoteIdent: (v) => pg.escapeIdentifier(v),
  quoteLiteral: (v) => pg.escapeLiteral(v),
  escapeInSingle: (v) => v.replace(/'/g, "''"),
  escapeInDouble: (v) => v.replace(/"/g, '""'),
  backticks: false,
  dollarQuotes: true,
};

/** Concurrent GRANTs on one table fail with "tuple concurrently updated": retried this often. */
const MAX_ATTEMPTS = 10;
/** Credentials per grouped transaction at most. */
const MAX_GROUP = 32;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A network failure (no SQLSTATE, not our own error) leaves the client unusable. */
const isBroken = (err: unknown) => !(err instanceof Error && err.name === 'EngineError') && (err as { code?: string })?.code === undefined;

function tlsOptions(config: DatabaseConfig): ConnectionOptions | undefined {
  if (!config.tls_ca && !config.tls_certificate && !config.tls_skip_verify && !config.tls_server_name) return undefined;
  return {
    ...(config.tls_ca ? { ca: config.tls_ca } : {}),
    ...(config.tls_certificate ? { cert: config.tls_certificate } : {}),
    ...(config.private_key ? { key: config.private_key } : {}),
    ...(config.tls_server_name ? { servername: config.tls_server_name } : {}),
    rejectUnauthorized: !config.tls_skip_verify,
  };
}

export class PgBackend implements SqlBackend {
  private readonly pool: pg.Pool;
  private readonly connectTimeoutMs: number;
  private readonly ssl: ConnectionOptions | undefined;
  private readonly creates: GroupRunner<string[]>;
  private readonly revokes: GroupRunner<string>;

  constructor(private readonly config: DatabaseConfig, private readonly url: string, private readonly log: EngineLogger) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw configError('connection_url must be a postgres:// or postgresql:// URL');
    this.connectTimeoutMs = seconds(config.connect_timeout, 5, 'connect_timeout') * 1000;
    this.ssl = tlsOptions(config);
    const lifetime = seconds(config.max_connection_lifetime, 0, 'max_connection_lifetime');
    this.pool = new pg.Pool({
      connectionString: url,
      ...(this.ssl ? { ssl: this.ssl } : {}),
      max: config.max_open_connections ?? 4,
      // pg.Pool has no idle count: max_idle_connections 0 closes idle clients almost at once.
      idleTimeoutMillis: config.max_idle_connections === 0 ? 1000 : 30_000,
      connectionTimeoutMillis: this.connectTimeoutMs,
      ...(lifetime > 0 ? { maxLifetimeSeconds: lifetime } : {}),
      // Server-side and client-side limits: a stalled statement or network fails, never hangs.
      statement_timeout: 30_000,
      query_timeout: 35_000,
      application_name: 'lessor',
    });
    // An idle client whose server went away must not crash the process.
    this.pool.on('error', (err) => this.log.warn({ code: (err as { code?: string }).code }, 'postgres pool client error'));
    // Few batches at once, so that requests arriving meanwhile queue up and share the next one;
    // the rest of the pool stays free for renewals, lookups and revocation's side queries.
    // Measured on 2 cores with 16 connections: 2 at once beat 1 and 4 (bench/, pg-creds).
    const maxInFlight = Math.max(2, Math.ceil((config.max_open_connections ?? 4) / 8));
    this.creates = new GroupRunner({ maxInFlight, maxBatch: MAX_GROUP, run: (jobs) => this.atomically('create', inTurnForObjectGrants(jobs.flat())) });
    this.revokes = new GroupRunner({ maxInFlight, maxBatch: MAX_GROUP, run: (names) => this.revokeUsers(names) });
  }

  private get who(): string | undefined {
    return this.config.username ?? (decodeURIComponent(new URL(this.url).username) || undefined);
  }

  private async client(phase: Phase): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw toEngineError(err, phase === 'create' ? 'other' : phase, this.who);
    }
  }

  private async withClient<T>(phase: Phase, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.client(phase);
    let broken = false;
    try {
      return await fn(c);
    } catch (err) {
      broken = isBroken(err);
      throw toEngineError(err, phase, this.who);
    } finally {
      c.release(broken);
    }
  }

  /**
   * The statements as one transaction in one round trip (a multi-statement simple query is one
   * implicit transaction: any error undoes all of it). Retries collisions of concurrent GRANTs.
   */
  private async atomically(phase: Phase, statements: string[]): Promise<void> {
    // A newline before each separator: a trailing `-- comment` cannot swallow it.
    const text = statements.join('\n;\n');
    for (let attempt = 1; ; attempt++) {
      const c = await this.client(phase);
      let broken = false;
      try {
        await c.query(text);
        return;
      } catch (err) {
        broken = isBroken(err);
        if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw toEngineError(err, phase, this.who);
        this.log.debug({ attempt, code: (err as { code?: string }).code }, 'transaction retried after a concurrent update');
      } finally {
        c.release(broken);
      }
      // Jittered backoff spreads the colliding transactions apart.
      await sleep(5 + Math.random() * 20 * attempt);
    }
  }

  async verify(): Promise<void> {
    await this.withClient('connect', async (c) => {
      const { rows } = await c.query('SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user');
      if (!rows[0]?.rolsuper && !rows[0]?.rolcreaterole) {
        throw configError(`postgres user "${this.who}" cannot create roles (needs CREATEROLE)`);
      }
    });
  }

  async createUser(_username: string, statements: string[], rollback: string[] | undefined): Promise<void> {
    try {
      await this.creates.submit(statements);
    } catch (err) {
      // The transaction already undid everything; user rollback statements are extra cleanup.
      if (rollback?.length) await this.exec(rollback).catch((e) => this.log.warn({ err: (e as Error).message }, 'rollback statements failed'));
      throw err;
    }
  }

  async exec(statements: string[]): Promise<void> {
    await this.atomically('revoke', statements);
  }

  async userExists(username: string): Promise<boolean> {
    return this.withClient('other', async (c) => (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username])).rowCount === 1);
  }

  /**
   * Stop new logins, end the user's sessions, then in one transaction: make the admin a member
   * (a CREATEROLE admin needs it for REASSIGN/DROP OWNED), hand owned objects to the admin, drop
   * the user's privileges in this database, drop the role. Concurrent revocations share it.
   */
  async defaultRevoke(username: string): Promise<void> {
    try {
      await this.revokes.submit(username);
    } catch (err) {
      // Dropped meanwhile by a concurrent revocation: already gone counts as revoked.
      if (err instanceof Error && /role .* does not exist/.test(err.message)) return;
      throw err;
    }
  }

  /** defaultRevoke for several users: four round trips whatever their number. */
  private async revokeUsers(names: string[]): Promise<void> {
    const present = await this.withClient('revoke', async (c) => {
      const { rows } = await c.query<{ rolname: string; member: boolean; su: boolean }>(
        `SELECT rolname, pg_has_role(current_user, rolname, 'USAGE') AS member,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su
           FROM pg_roles WHERE rolname = ANY($1)`, [names]);
      if (rows.length === 0) return rows;
      // Committed before the sessions are ended, so they cannot log straight back in.
      await c.query(rows.map((r) => `ALTER ROLE ${pg.escapeIdentifier(r.rolname)} NOLOGIN`).join(';\n'));
      // Needs pg_signal_backend for a non-superuser; without it sessions end on their own.
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1) AND pid <> pg_backend_pid()', [rows.map((r) => r.rolname)])
        .catch((err: Error) => this.log.warn({ users: rows.length, err: err.message }, 'could not terminate sessions'));
      return rows;
    });
    if (present.length === 0) return;
    const list = present.map((r) => pg.escapeIdentifier(r.rolname)).join(', ');
    await this.atomically('revoke', [
      ...present.filter((r) => !r.su && !r.member).map((r) => `GRANT ${pg.escapeIdentifier(r.rolname)} TO CURRENT_USER`),
      `REASSIGN OWNED BY ${list} TO CURRENT_USER`,
      `DROP OWNED BY ${list}`,
      `DROP ROLE IF EXISTS ${list}`,
    ]);
  }

  async defaultRenew(username: string, expiration: string): Promise<void> {
    await this.exec([renderStatement("ALTER ROLE {{name}} VALID UNTIL '{{expiration}}'", { name: username, expiration }, pgDialect)]);
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.exec([`ALTER ROLE ${pg.escapeIdentifier(username)} WITH PASSWORD ${pg.escapeLiteral(password)}`]);
  }

  async canLogin(username: string, password: string): Promise<boolean> {
    const u = new URL(this.url);
    u.username = encodeURIComponent(username);
    u.password = encodeURIComponent(password);
    const c = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: this.connectTimeoutMs, ...(this.ssl ? { ssl: this.ssl } : {}) });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch (err) {
      const e = toEngineError(err, 'connect', username);
      if (e.kind === 'unavailable') throw e;
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  }

  async changeOwnPassword(password: string): Promise<void> {
    await this.withClient('other', (c) => c.query(`ALTER ROLE CURRENT_USER WITH PASSWORD ${pg.escapeLiteral(password)}`));
  }

  async *listUsers(prefix: string): AsyncIterable<string> {
    const like = prefix.replace(/[\\%_]/g, (m) => `\\${m}`) + '%';
    const rows = await this.withClient('other', async (c) =>
      (await c.query("SELECT rolname FROM pg_roles WHERE rolname LIKE $1 ESCAPE '\\' AND NOT rolsuper ORDER BY rolname", [like])).rows);
    for (const r of rows) yield r.rolname as string;
  }

  async *listMarked(mark: string): AsyncIterable<string> {
    const rows = await this.withClient('other', async (c) =>
      (await c.query("SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = $1 AND NOT rolsuper ORDER BY rolname", [mark])).rows);
    for (const r of rows) yield r.rolname as string;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}
