/**
 * MySQL 8 and MariaDB behind the SQL engine. CREATE USER and GRANT commit implicitly, so a
 * failed creation is undone by rollback statements (default: drop the user at every host).
 * Where the two servers differ (password changes: MySQL 8 removed PASSWORD()), the statement is
 * chosen by the server's version, read once per pool.
 */
import mysql from 'mysql2/promise';
import type { ConnectionOptions } from 'node:tls';
import { seconds, type DatabaseConfig } from '../sdk/database.js';
import { configError } from '../sdk/errors.js';
import type { SqlDialect } from '../sdk/statements.js';
import type { SqlBackend } from '../sdk/sql-engine.js';
import type { EngineLogger } from '../sdk/types.js';
import { isAccessDenied, isAuthFailure, toEngineError, type Phase } from './errors.js';
import { parseMysqlTarget, type MysqlTarget } from './target.js';

export const mysqlDialect: SqlDialect = {
  quoteIdent: (v) => `\`${v.replace(/`/g, '``')}\``,
  quoteLiteral: (v) => mysql.escape(v),
  escapeInSingle: (v) => v.replace(/\\/g, '\\\\').replace(/'/g, "''"),
  escapeInDouble: (v) => v.replace(/\\/g, '\\\\').replace(/"/g, '""'),
  backticks: true,
  dollarQuotes: false,
};

/** A statement that hangs (locks, a stalled server) fails instead of holding a request. */
const QUERY_TIMEOUT_MS = 30_000;

/** mariadb-old: before 10.2, which has no ALTER USER. */
type Flavor = 'mariadb' | 'mariadb-old' | 'mysql';

export function flavorOf(version: string): Flavor {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!/mariadb/i.test(version)) return 'mysql';
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [99, 0];
  return major > 10 || (major === 10 && minor >= 2) ? 'mariadb' : 'mariadb-old';
}

function tlsOptions(config: DatabaseConfig): ConnectionOptions | undefined {
  if (!config.tls_ca && !config.tls_certificate_key && !config.tls_skip_verify && !config.tls_server_name) return undefined;
  return {
    ...(config.tls_ca ? { ca: config.tls_ca } : {}),
    // One PEM holding certificate and key, as Vault's tls_certificate_key.
    ...(config.tls_certificate_key ? { cert: config.tls_certificate_key, key: config.tls_certificate_key } : {}),
    ...(config.tls_server_name ? { servername: config.tls_server_name } : {}),
    rejectUnauthorized: !config.tls_skip_verify,
  };
}

export class MysqlBackend implements SqlBackend {
  private readonly pool: mysql.Pool;
  private readonly target: MysqlTarget;
  private readonly connectTimeoutMs: number;
  private readonly ssl: ConnectionOptions | undefined;
  private flavor?: Promise<Flavor>;

  constructor(config: DatabaseConfig, private readonly log: EngineLogger) {
    this.target = parseMysqlTarget(config);
    this.connectTimeoutMs = seconds(config.connect_timeout, 5, 'connect_timeout') * 1000;
    this.ssl = tlsOptions(config);
    const lifetime = seconds(config.max_connection_lifetime, 0, 'max_connection_lifetime');
    this.pool = mysql.createPool({
      ...this.connection(this.target.user, this.target.password),
      connectionLimit: config.max_open_connections ?? 4,
      maxIdle: config.max_idle_connections ?? config.max_open_connections ?? 4,
      idleTimeout: lifetime > 0 ? lifetime * 1000 : 60_000,
      queueLimit: 1000,
    });
  }

  /** mysql2 queues forever when the pool is full or the server hangs: bound the wait. */
  private acquire(): Promise<mysql.PoolConnection> {
    return new Promise((resolve, reject) => {
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        reject(Object.assign(new Error('timed out waiting for a connection'), { code: 'ETIMEDOUT' }));
      }, this.connectTimeoutMs);
      this.pool.getConnection().then(
        (c) => {
          clearTimeout(timer);
          if (expired) c.release();
          else resolve(c);
        },
        (err) => {
          clearTimeout(timer);
          if (!expired) reject(err);
        },
      );
    });
  }

  private connection(user: string, password: string): mysql.ConnectionOptions {
    const t = this.target;
    return {
      ...(t.socketPath ? { socketPath: t.socketPath } : { host: t.host, port: t.port }),
      user, password,
      ...(t.database ? { database: t.database } : {}),
      connectTimeout: this.connectTimeoutMs,
      ...(this.ssl ? { ssl: this.ssl as mysql.SslOptions } : {}),
      multipleStatements: false,
    };
  }

  private async withConn<T>(phase: Phase, fn: (c: mysql.PoolConnection) => Promise<T>): Promise<T> {
    let c: mysql.PoolConnection;
    try {
      c = await this.acquire();
    } catch (err) {
      throw toEngineError(err, phase === 'connect' ? 'connect' : 'other', this.target.user);
    }
    try {
      return await fn(c);
    } catch (err) {
      throw toEngineError(err, phase, this.target.user);
    } finally {
      c.release();
    }
  }

  private serverFlavor(): Promise<Flavor> {
    this.flavor ??= this.withConn('other', async (c) => {
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
      return flavorOf(String(rows[0]?.v));
    }).catch((err) => {
      this.flavor = undefined;
      throw err;
    });
    return this.flavor;
  }

  async verify(): Promise<void> {
    await this.withConn('connect', async (c) => {
      const [rows] = await c.query<mysql.RowDataPacket[]>('SHOW GRANTS');
      const grants = rows.map((r) => String(Object.values(r)[0])).join('\n');
      if (!/GRANT (ALL PRIVILEGES|.*\bCREATE USER\b.*) ON \*\.\*/i.test(grants)) {
        throw configError(`mysql user "${this.target.user}" cannot create users (needs CREATE USER)`);
      }
    });
  }

  async createUser(username: string, statements: string[], rollback: string[] | undefined): Promise<void> {
    try {
      await this.withConn('create', async (c) => {
        for (const s of statements) await c.query({ sql: s, timeout: QUERY_TIMEOUT_MS });
      });
    } catch (err) {
      // CREATE USER and GRANT have committed: undo with the rollback statements.
      const undo = rollback?.length ? this.exec(rollback) : this.dropEverywhere(username);
      await undo.catch((e: Error) => this.log.warn({ username, err: e.message }, 'rollback statements failed'));
      throw err;
    }
  }

  async exec(statements: string[]): Promise<void> {
    await this.withConn('revoke', async (c) => {
      for (const s of statements) await c.query({ sql: s, timeout: QUERY_TIMEOUT_MS });
    });
  }

  /** Hosts the user exists at; '%' when mysql.user is not readable (the admin lacks SELECT on it). */
  private async hosts(username: string): Promise<string[] | undefined> {
    return this.withConn('other', async (c) => {
      try {
        const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT Host FROM mysql.user WHERE User = ?', [username]);
        return rows.map((r) => String(r.Host));
      } catch (err) {
        if (isAccessDenied(err)) return undefined;
        throw err;
      }
    });
  }

  async userExists(username: string): Promise<boolean> {
    const hosts = await this.hosts(username);
    return hosts === undefined || hosts.length > 0;
  }

  private async dropEverywhere(username: string): Promise<void> {
    const hosts = (await this.hosts(username)) ?? ['%'];
    await this.withConn('revoke', async (c) => {
      for (const host of hosts) await c.query('DROP USER IF EXISTS ?@?', [username, host]);
    });
  }

  /** Drop the user, then end its sessions (a dropped user's open sessions otherwise live on). */
  async defaultRevoke(username: string): Promise<void> {
    await this.dropEverywhere(username);
    await this.withConn('revoke', async (c) => {
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [username]);
      for (const r of rows) {
        // Needs CONNECTION ADMIN (or SUPER); without it the sessions end on their own.
        await c.query('KILL CONNECTION ?', [Number(r.ID)]).catch((err: Error) =>
          this.log.warn({ username, err: err.message }, 'could not end a session of a revoked user'));
      }
    });
  }

  async setPassword(username: string, password: string): Promise<void> {
    const hosts = (await this.hosts(username)) ?? ['%'];
    if (hosts.length === 0) throw toEngineError(Object.assign(new Error(`user ${username} does not exist`), { code: 'ER_NO_SUCH_USER' }), 'other');
    const flavor = await this.serverFlavor();
    await this.withConn('other', async (c) => {
      for (const host of hosts) {
        // ALTER USER needs only CREATE USER; SET PASSWORD FOR needs UPDATE on the mysql schema.
        if (flavor === 'mariadb-old') await c.query('SET PASSWORD FOR ?@? = PASSWORD(?)', [username, host, password]);
        else await c.query('ALTER USER ?@? IDENTIFIED BY ?', [username, host, password]);
      }
    });
  }

  async canLogin(username: string, password: string): Promise<boolean> {
    let c: mysql.Connection | undefined;
    try {
      c = await mysql.createConnection(this.connection(username, password));
      await c.query('SELECT 1');
      return true;
    } catch (err) {
      if (isAuthFailure(err)) return false;
      const e = toEngineError(err, 'connect', username);
      if (e.kind === 'unavailable') throw e;
      return false;
    } finally {
      await c?.end().catch(() => {});
    }
  }

  async changeOwnPassword(password: string): Promise<void> {
    const flavor = await this.serverFlavor();
    await this.withConn('other', (c) =>
      // MySQL 8 removed PASSWORD(); every MariaDB has SET PASSWORD for the current user.
      flavor !== 'mysql'
        ? c.query('SET PASSWORD = PASSWORD(?)', [password])
        : c.query('ALTER USER CURRENT_USER() IDENTIFIED BY ?', [password]));
  }

  async *listUsers(prefix: string): AsyncIterable<string> {
    const like = prefix.replace(/[\\%_]/g, (m) => `\\${m}`) + '%';
    const rows = await this.withConn('other', async (c) =>
      (await c.query<mysql.RowDataPacket[]>('SELECT DISTINCT User FROM mysql.user WHERE User LIKE ? ORDER BY User', [like]))[0]);
    for (const r of rows) yield String(r.User);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}
