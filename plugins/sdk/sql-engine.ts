/**
 * The SecretsEngine shared by the SQL database engines. What differs between PostgreSQL and
 * MySQL (pool, transactions, default revocation, error codes) sits behind SqlBackend; what
 * Vault's database engine does the same everywhere (usernames, passwords, statement rendering,
 * root rotation, scrubbing secrets from errors) lives here once.
 */
import { createHash } from 'node:crypto';
import { renderConnectionUrl, type DatabaseConfig, type DatabaseRole } from './database.js';
import { EngineError, configError, isEngineError, notFoundError, upstreamError } from './errors.js';
import { generatePassword, checkPasswordPolicy } from './password-policy.js';
import { renderStatement, scrub, splitStatements, type SqlDialect } from './statements.js';
import type { EngineContext, EngineLogger, NewCredentialRequest, NewCredentialResult, SecretsEngine } from './types.js';
import { SAFE_USERNAME, usernameGenerator, type UsernameGenerator } from './usernames.js';
import { staticUserKey } from './static-rotation.js';

/** One connection's pool and the database-specific operations on it. */
export interface SqlBackend {
  /** Proves the admin can log in and create users (EngineError 'config' if not). */
  verify(): Promise<void>;
  /** Runs creation statements (one transaction where the database allows); on failure undoes. */
  createUser(username: string, statements: string[], rollback: string[] | undefined): Promise<void>;
  /** Runs statements in one transaction where the database allows. */
  exec(statements: string[]): Promise<void>;
  userExists(username: string): Promise<boolean>;
  defaultRevoke(username: string): Promise<void>;
  /** Default renewal (PostgreSQL: VALID UNTIL); undefined when the database has none. */
  defaultRenew?(username: string, expiration: string): Promise<void>;
  /** Default password change for static roles. */
  setPassword(username: string, password: string): Promise<void>;
  /** Opens a separate connection as that user: true if it logs in. */
  canLogin(username: string, password: string): Promise<boolean>;
  /** Changes the admin's own password (rotate-root). */
  changeOwnPassword(password: string): Promise<void>;
  listUsers(prefix: string): AsyncIterable<string>;
  /** Users whose note in the server (see SqlEngineSpec.markStatement) is exactly `mark`. */
  listMarked?(mark: string): AsyncIterable<string>;
  close(): Promise<void>;
}

export interface SqlEngineSpec {
  dialect: SqlDialect;
  maxUsernameLength: number;
  defaultUsernameTemplate: string;
  /** How {{expiration}} is written for this database. */
  formatExpiration(ms: number): string;
  /**
   * What {{password}} becomes in statements (PostgreSQL: a SCRAM verifier when the config asks
   * for password_authentication=scram-sha-256). Default: the password itself.
   */
  passwordForStatements?(config: DatabaseConfig, password: string): Promise<string>;
  /**
   * A statement that leaves `mark` on the new user in the server itself (PostgreSQL: COMMENT ON
   * ROLE), run in the creation's own transaction. Absent where the server keeps no such note
   * (MariaDB): ownership then rests on the core's record alone.
   */
  markStatement?(username: string, mark: string): string;
  /** Engine-specific checks of a config beyond its schema; throws configError (a 400). */
  checkConfig?(config: DatabaseConfig): void;
  /** Builds the pool (lazily connecting); connectionUrl already has credentials filled in. */
  open(config: DatabaseConfig, connectionUrl: string, log: EngineLogger): SqlBackend;
}

interface PendingRoot {
  /** The new password, sealed. */
  sealed: string;
  /** The password it replaces, sealed: only a config still holding it is stale. */
  previous: string;
  at: number;
}

/** Where a half-finished rotate-root keeps the new password: per target and admin user. */
export function pendingRootKey(config: DatabaseConfig): string {
  const id = createHash('sha256').update(`${config.connection_url}\n${config.username ?? ''}`).digest('hex').slice(0, 24);
  return `rotate-root:${id}`;
}

/** The note a credential carries in the server: whose it is (NewCredentialRequest.owner). */
export const ownerMark = (owner: string) => `lessor-owner:${owner}`;

function adminUsername(config: DatabaseConfig): string | undefined {
  if (config.username) return config.username;
  try {
    return decodeURIComponent(new URL(config.connection_url).username) || undefined;
  } catch {
    return undefined;
  }
}

export class SqlEngine implements SecretsEngine<DatabaseConfig, DatabaseRole> {
  private config!: DatabaseConfig;
  private backend?: SqlBackend;
  private usernames!: UsernameGenerator;

  constructor(private readonly spec: SqlEngineSpec) {}

  private get db(): SqlBackend {
    if (!this.backend) throw new EngineError('unrecoverable', 'engine used before initialize');
    return this.backend;
  }

  private openBackend(config: DatabaseConfig, ctx: EngineContext): SqlBackend {
    return this.spec.open(config, renderConnectionUrl(config.connection_url, config.username, config.password, config.disable_escaping), ctx.log);
  }

  /** Every message an engine error carries is scrubbed of the admin password and `extra`. */
  private async guard<T>(extra: Array<string | undefined>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const secrets = [this.config?.password, ...extra];
      if (isEngineError(err)) throw new EngineError(err.kind, scrub(err.message, secrets));
      throw upstreamError(scrub(`database error: ${(err as Error).message}`, secrets));
    }
  }

  async initialize(req: { config: DatabaseConfig; verifyConnection: boolean }, ctx: EngineContext): Promise<{ config: DatabaseConfig }> {
    let config: DatabaseConfig = { ...req.config };
    if (/\{\{\s*password\s*\}\}/.test(config.connection_url) && !config.password) {
      throw configError('connection_url uses {{password}} but no password is set');
    }
    if (/\{\{\s*username\s*\}\}/.test(config.connection_url) && !config.username) {
      throw configError('connection_url uses {{username}} but no username is set');
    }
    checkPasswordPolicy(config.password_policy);
    this.spec.checkConfig?.(config);
    this.usernames = usernameGenerator(config.username_template ?? this.spec.defaultUsernameTemplate, this.spec.maxUsernameLength);
    this.config = config;
    await this.backend?.close();
    this.backend = this.openBackend(config, ctx);
    // Only a config still holding the password a rotation replaced can be stale; any other
    // password (an operator's new one, or a typo) is taken at its word.
    let pending = await ctx.state.get<PendingRoot>(pendingRootKey(config));
    if (pending && (await ctx.open(pending.previous)).toString('utf8') !== config.password) pending = undefined;
    if (req.verifyConnection || pending) {
      try {
        await this.guard([], () => this.db.verify());
      } catch (err) {
        const recovered = pending && isEngineError(err) && err.kind === 'config' ? await this.recoverRoot(config, pending, ctx) : undefined;
        if (!recovered) {
          if (req.verifyConnection) throw err;
        } else {
          config = recovered;
        }
      }
    }
    return { config };
  }

  /**
   * A rotate-root that changed the password but whose new config was never stored (crash,
   * lost write) left the new password sealed in the state store: adopt it if it logs in.
   */
  private async recoverRoot(config: DatabaseConfig, pending: PendingRoot, ctx: EngineContext): Promise<DatabaseConfig | undefined> {
    const password = (await ctx.open(pending.sealed)).toString('utf8');
    if (password === config.password) return undefined;
    const candidate = { ...config, password };
    const backend = this.openBackend(candidate, ctx);
    try {
      await backend.verify();
    } catch {
      await backend.close();
      return undefined;
    }
    await this.backend?.close();
    this.backend = backend;
    this.config = candidate;
    ctx.log.warn({ pendingSince: pending.at }, 'adopted the password of an unfinished rotate-root');
    return candidate;
  }

  private async statementPassword(password: string): Promise<string> {
    return this.spec.passwordForStatements ? this.spec.passwordForStatements(this.config, password) : password;
  }

  credentialId(req: { roleName: string; requester: { displayName: string }; now: number }): string {
    return this.usernames.generate({ displayName: req.requester.displayName, roleName: req.roleName, now: req.now });
  }

  private render(stmts: DatabaseRole['creation_statements'], values: Record<string, string>): string[] {
    return splitStatements(stmts, this.spec.dialect).map((s) => renderStatement(s, values, this.spec.dialect));
  }

  async newCredential(req: NewCredentialRequest<DatabaseRole>, ctx: EngineContext): Promise<NewCredentialResult> {
    const username = req.credentialId;
    if (!SAFE_USERNAME.test(username)) throw configError('invalid username');
    const password = generatePassword(this.config.password_policy);
    const inStatements = await this.statementPassword(password);
    const values = { name: username, username, password: inStatements, expiration: this.spec.formatExpiration(req.expiresAt) };
    const creation = this.render(req.role.creation_statements, values);
    if (creation.length === 0) throw configError('creation_statements are required');
    if (req.owner && this.spec.markStatement) creation.push(this.spec.markStatement(username, ownerMark(req.owner)));
    const rollback = req.role.rollback_statements !== undefined ? this.render(req.role.rollback_statements, values) : undefined;
    await this.guard([password, inStatements], () => this.db.createUser(username, creation, rollback));
    ctx.log.debug({ username, role: req.roleName }, 'database user created');
    return { data: { username, password } };
  }

  async updateCredential(
    req: { credentialId: string; roleName: string; role: DatabaseRole; expiresAt?: number; password?: string },
    ctx: EngineContext,
  ): Promise<void> {
    const username = req.credentialId;
    if (req.password !== undefined) {
      const password = await this.statementPassword(req.password);
      const custom = splitStatements(req.role.rotation_statements, this.spec.dialect);
      await this.guard([req.password, password], async () => {
        if (!(await this.db.userExists(username))) throw configError(`database user ${username} does not exist`);
        if (custom.length === 0) return this.db.setPassword(username, password);
        return this.db.exec(this.render(req.role.rotation_statements, { name: username, username, password, expiration: '' }));
      });
      ctx.log.info({ username }, 'database user password changed');
      return;
    }
    if (req.expiresAt === undefined) return;
    const expiration = this.spec.formatExpiration(req.expiresAt);
    await this.guard([], async () => {
      if (!(await this.db.userExists(username))) throw notFoundError(`database user ${username} no longer exists`);
      const custom = this.render(req.role.renew_statements, { name: username, username, password: '', expiration });
      if (custom.length > 0) await this.db.exec(custom);
      else await this.db.defaultRenew?.(username, expiration);
    });
  }

  async deleteCredential(req: { credentialId: string; roleName: string; role: DatabaseRole }, ctx: EngineContext): Promise<void> {
    const username = req.credentialId;
    await this.guard([], async () => {
      const custom = this.render(req.role?.revocation_statements, { name: username, username, password: '', expiration: '' });
      // Already gone counts as revoked. The default revocation checks that itself, in its group.
      if (custom.length === 0) return this.db.defaultRevoke(username);
      if (await this.db.userExists(username)) await this.db.exec(custom);
    });
    ctx.log.debug({ username }, 'database user revoked');
  }

  /** SDK extension used by static roles: does this username/password log in? */
  async verifyCredential(req: { credentialId: string; password: string }): Promise<boolean> {
    return this.guard([req.password], () => this.db.canLogin(req.credentialId, req.password));
  }

  /**
   * Two-phase: the new password is sealed into the state store (pending) before the ALTER, so
   * a crash after the ALTER leaves a password lessor can still find (see recoverRoot); the
   * caller stores the returned config, which promotes it.
   */
  async rotateRoot(ctx: EngineContext): Promise<{ config: DatabaseConfig }> {
    const config = this.config;
    if (!config.username || !config.password || !/\{\{\s*password\s*\}\}/.test(config.connection_url)) {
      throw configError('rotate-root needs username and password fields and a connection_url using {{username}} and {{password}}');
    }
    const password = generatePassword(config.password_policy);
    const key = pendingRootKey(config);
    // Kept without expiry: a replica whose stored config is stale must find it whenever it starts.
    await ctx.state.set(key, {
      sealed: await ctx.seal(Buffer.from(password, 'utf8')),
      previous: await ctx.seal(Buffer.from(config.password, 'utf8')),
      at: ctx.now(),
    } satisfies PendingRoot);
    const inStatements = await this.statementPassword(password);
    await this.guard([password, inStatements], async () => {
      const custom = this.render(config.root_rotation_statements, { name: config.username!, username: config.username!, password: inStatements, expiration: '' });
      if (custom.length > 0) await this.db.exec(custom);
      else await this.db.changeOwnPassword(inStatements);
    });
    const next: DatabaseConfig = { ...config, password };
    const backend = this.openBackend(next, ctx);
    await this.guard([password], () => backend.verify()).catch(async (err) => {
      await backend.close();
      throw err;
    });
    const old = this.backend;
    this.backend = backend;
    this.config = next;
    await old?.close();
    ctx.log.info({ username: config.username }, 'root credentials rotated');
    return { config: next };
  }

  /** The admin's own check (one small query): the target answers and lessor may act on it. */
  async probe(): Promise<void> {
    await this.guard([], () => this.db.verify());
  }

  async *listMarked(owner: string, ctx: EngineContext): AsyncIterable<string> {
    if (!this.db.listMarked) return;
    const admin = adminUsername(this.config);
    for await (const name of this.db.listMarked(ownerMark(owner))) {
      if (name === admin || !SAFE_USERNAME.test(name)) continue;
      if ((await ctx.state.get(staticUserKey(name))) !== undefined) continue;
      yield name;
    }
  }

  async *listCredentials(ctx: EngineContext): AsyncIterable<string> {
    const prefix = this.usernames.prefix;
    // Without a fixed prefix every user would match: refuse rather than offer them for revocation.
    if (prefix.length < 2) {
      ctx.log.warn({ prefix }, 'username_template has no fixed prefix: reconciler lists nothing');
      return;
    }
    const admin = adminUsername(this.config);
    for await (const name of this.db.listUsers(prefix)) {
      if (name === admin || !SAFE_USERNAME.test(name) || name.length > this.spec.maxUsernameLength) continue;
      // A static role's user is lessor's but has no lease: never an orphan.
      if ((await ctx.state.get(staticUserKey(name))) !== undefined) continue;
      yield name;
    }
  }

  async close(): Promise<void> {
    await this.backend?.close();
    this.backend = undefined;
  }
}
