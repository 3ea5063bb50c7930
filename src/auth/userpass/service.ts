import type { Logger } from 'pino';
import { mergeRow } from '../../db/merge-row.js';
import type { SqlStore } from '../../db/sql-store.js';
import { badRequest, loginRefused, notFound } from '../../errors.js';
import { DEFAULT_TOKEN_SETTINGS, loginIssue, mergeTokenSettings, type TokenSettings } from '../token-settings.js';
import type { Issued, TokenService } from '../tokens.js';
import { checkPassword, hashPassword } from './passwords.js';
import type { LoginLimiter } from '../login-limit.js';

/** userpass: human admin logins with argon2id password hashes (see passwords.ts). */
const NAME_RE = /^[\w.@-]{1,128}$/;
const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export class UserpassService {
  constructor(
    private readonly sql: SqlStore,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiter,
    private readonly log: Logger,
  ) {}

  private async find(name: string): Promise<{ hash: string; settings: TokenSettings } | undefined> {
    const { rows } = await this.sql.query<{ password_hash: string; settings: TokenSettings | string }>(
      'SELECT password_hash, settings FROM userpass_users WHERE name = $1',
      [name.toLowerCase()],
    );
    return rows[0] && { hash: rows[0].password_hash, settings: parse(rows[0].settings) };
  }

  /** Vault's existence check on a user write (create or update). */
  async exists(name: string): Promise<boolean> {
    return (await this.find(name)) !== undefined;
  }

  async get(name: string): Promise<TokenSettings> {
    const u = await this.find(name);
    if (!u) throw notFound(`no user named "${name}"`);
    return u.settings;
  }

  async write(name: string, body: Record<string, unknown>): Promise<void> {
    if (!NAME_RE.test(name)) throw badRequest('username must be 1-128 letters, digits, "_", ".", "@" or "-"');
    const n = name.toLowerCase();
    const password = body.password as string | undefined;
    // Hashed before the row is locked: argon2 takes tens of milliseconds.
    const hash = password ? await hashPassword(password) : undefined;
    await mergeRow<TokenSettings>(this.sql, {
      read: async (tx) => {
        const { rows } = await tx.query<{ settings: TokenSettings | string }>('SELECT settings FROM userpass_users WHERE name = $1 FOR UPDATE', [n]);
        return rows[0] && parse(rows[0].settings);
      },
      write: async (tx, prev) => {
        if (!prev && !hash) throw badRequest('missing password');
        const settings = JSON.stringify(mergeTokenSettings(body, prev ?? DEFAULT_TOKEN_SETTINGS));
        if (!prev) {
          const { rowCount } = await tx.query('INSERT INTO userpass_users (name, password_hash, settings) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [n, hash, settings]);
          return rowCount === 1;
        }
        // Without a password the stored hash is left alone (a settings write never undoes a
        // password change).
        if (hash) await tx.query('UPDATE userpass_users SET password_hash = $2, settings = $3, updated_at = now() WHERE name = $1', [n, hash, settings]);
        else await tx.query('UPDATE userpass_users SET settings = $2, updated_at = now() WHERE name = $1', [n, settings]);
        return true;
      },
    });
  }

  async setPassword(name: string, password: string): Promise<void> {
    await this.get(name);
    await this.sql.query('UPDATE userpass_users SET password_hash = $2, updated_at = now() WHERE name = $1', [
      name.toLowerCase(),
      await hashPassword(password),
    ]);
  }

  async delete(name: string): Promise<void> {
    await this.sql.query('DELETE FROM userpass_users WHERE name = $1', [name.toLowerCase()]);
  }

  async list(): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM userpass_users ORDER BY name');
    return rows.map((r) => r.name);
  }

  private async checked(user: string, password: string) {
    const found = await this.find(user);
    return [found, await checkPassword(found?.hash, password)] as const;
  }

  async login(name: string, password: string, ip: string): Promise<Issued> {
    const user = name.toLowerCase();
    await this.limiter.attempt(ip, user);
    // A config store that is down is not the caller's failure: only a wrong password counts.
    const [found, check] = await this.checked(user, password).catch(async (err: unknown) => {
      await this.limiter.done(ip, user, 'error');
      throw err;
    });
    await this.limiter.done(ip, user, found && check.ok ? 'ok' : 'failed');
    if (!found || !check.ok) {
      this.log.info({ ip }, 'userpass login refused');
      throw loginRefused('invalid username or password');
    }
    if (check.needsRehash) {
      // Parameters were raised since this hash was made: upgrade it while we hold the password.
      await this.sql.query('UPDATE userpass_users SET password_hash = $3 WHERE name = $1 AND password_hash = $2', [
        user,
        found.hash,
        await hashPassword(password),
      ]);
      this.log.info({ user }, 'password hash upgraded to current argon2id parameters');
    }
    return this.tokens.issue(
      loginIssue(found.settings, { displayName: `userpass-${user}`, entityName: user, path: `auth/userpass/login/${user}`, meta: { username: user } }),
    );
  }
}
