import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { mergeRow } from '../../db/merge-row.js';
import type { SqlStore } from '../../db/sql-store.js';
import { badRequest, isLessorError, LessorError, loginRefused, notFound } from '../../errors.js';
import { ipAllowed } from '../cidr.js';
import { DEFAULT_TOKEN_SETTINGS, loginIssue, mergeTokenSettings, tokenSettingsView, cidrList, type TokenSettings } from '../token-settings.js';
import type { Issued, TokenService } from '../tokens.js';
import { parseDuration } from '../../../plugins/sdk/duration.js';
import { VersionedCache, type VersionCounter } from '../../redis/version-counter.js';
import type { SecretIdStore } from './secret-ids.js';
import type { LoginLimiter, LoginOutcome } from '../login-limit.js';

/**
 * AppRole: a machine proves itself with a role ID (not secret, often baked into config) and a
 * secret ID (256 random bits, delivered separately, used a limited number of times). Secret
 * IDs are stored only as HMAC-SHA256 under a sealed per-install key: a slow hash adds nothing
 * to 256 random bits and would cap logins at the hash rate.
 */
export interface AppRoleSettings {
  roleId: string;
  bindSecretId: boolean;
  secretIdNumUses: number;
  secretIdTtl: number;
  secretIdBoundCidrs: string[];
  token: TokenSettings;
}

const NAME_RE = /^[\w.-]{1,128}$/;
const INVALID = 'invalid role ID or secret ID';
const MAX_CACHED_ROLES = 10_000;

interface RoleRow {
  name: string;
  role_id: string;
  settings: AppRoleSettings | string;
}

/** A role as logins see it; shared by the cache, so never modified. */
interface LoginRole {
  name: string;
  role: AppRoleSettings;
}

const fromRow = (row: RoleRow): AppRoleSettings => ({
  ...(typeof row.settings === 'string' ? (JSON.parse(row.settings) as AppRoleSettings) : row.settings),
  roleId: row.role_id,
});

/**
 * Logins find their role in memory, keyed by role ID: reading it from the config store on
 * every login was a fifth of a login's CPU. Every role write bumps `version` (shared by the
 * replicas, like the policy version), and a login reads it first, so a role change applies to
 * the next login on every replica.
 */
export class AppRoleService {
  private readonly byRoleId = new VersionedCache<LoginRole>({ maxEntries: MAX_CACHED_ROLES });

  constructor(
    private readonly sql: SqlStore,
    private readonly secretIds: SecretIdStore,
    private readonly tokens: TokenService,
    private readonly hmacKey: Buffer,
    private readonly log: Logger,
    private readonly version: VersionCounter,
    private readonly limiter: LoginLimiter,
  ) {}

  private hash(role: string, secretId: string): string {
    return createHmac('sha256', this.hmacKey).update(`${role}\0${secretId}`).digest('hex');
  }

  private async find(name: string): Promise<AppRoleSettings | undefined> {
    const { rows } = await this.sql.query<RoleRow>('SELECT name, role_id, settings FROM approle_roles WHERE name = $1', [name.toLowerCase()]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** The role a login names, from the cache when `version` (read at the login's start) still matches. */
  private async forLogin(roleId: string, version: Promise<number>): Promise<LoginRole | undefined> {
    const v = await version;
    const hit = this.byRoleId.get(v, roleId);
    if (hit) return hit;
    const { rows } = await this.sql.query<RoleRow>('SELECT name, role_id, settings FROM approle_roles WHERE role_id = $1', [roleId]);
    if (!rows[0]) return undefined;
    const found: LoginRole = { name: rows[0].name, role: fromRow(rows[0]) };
    this.byRoleId.set(v, roleId, found);
    return found;
  }

  /** After every role write (config store first): logins on every replica reload the role. */
  private changed(): Promise<void> {
    return this.version.bump();
  }

  /** Vault's existence check on a role write (create or update). */
  async exists(name: string): Promise<boolean> {
    return (await this.find(name)) !== undefined;
  }

  async get(name: string): Promise<AppRoleSettings> {
    const role = await this.find(name);
    if (!role) throw notFound(`no AppRole named "${name}"`);
    return role;
  }

  async write(name: string, body: Record<string, unknown>): Promise<void> {
    if (!NAME_RE.test(name)) throw badRequest('role name must be 1-128 letters, digits, "_", "." or "-"');
    const n = name.toLowerCase();
    await mergeRow<AppRoleSettings>(this.sql, {
      read: async (tx) => {
        const { rows } = await tx.query<RoleRow>('SELECT name, role_id, settings FROM approle_roles WHERE name = $1 FOR UPDATE', [n]);
        return rows[0] ? fromRow(rows[0]) : undefined;
      },
      write: async (tx, prev) => {
        const { roleId, ...settings } = mergeAppRole(body, prev);
        if (prev) {
          await tx.query('UPDATE approle_roles SET settings = $2, updated_at = now() WHERE name = $1', [n, JSON.stringify(settings)]);
          return true;
        }
        const { rowCount } = await tx.query('INSERT INTO approle_roles (name, role_id, settings) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [n, roleId, JSON.stringify(settings)]);
        return rowCount === 1;
      },
    });
    await this.changed();
  }

  view(s: AppRoleSettings) {
    return {
      bind_secret_id: s.bindSecretId,
      secret_id_num_uses: s.secretIdNumUses,
      secret_id_ttl: s.secretIdTtl,
      secret_id_bound_cidrs: s.secretIdBoundCidrs,
      local_secret_ids: false,
      ...tokenSettingsView(s.token),
    };
  }

  async list(): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM approle_roles ORDER BY name');
    return rows.map((r) => r.name);
  }

  async delete(name: string): Promise<void> {
    const n = name.toLowerCase();
    // The row goes first: a secret ID issued meanwhile either is listed below or sees the role
    // gone when newSecretId reads it again. A delete that fails halfway is finished by a retry.
    await this.sql.query('DELETE FROM approle_roles WHERE name = $1', [n]);
    await this.changed();
    for (const accessor of await this.secretIds.accessors(n)) {
      const hash = await this.secretIds.hashByAccessor(accessor);
      if (hash) await this.secretIds.remove(hash);
    }
  }

  async setRoleId(name: string, roleId: string): Promise<void> {
    await this.get(name);
    try {
      await this.sql.query('UPDATE approle_roles SET role_id = $2, updated_at = now() WHERE name = $1', [name.toLowerCase(), roleId]);
    } catch {
      throw badRequest('role_id is already in use');
    }
    await this.changed();
  }

  /**
   * A new secret ID, returned this once: a random one, or `chosen` (Vault's custom-secret-id),
   * which must not already be one of the role's.
   */
  async newSecretId(name: string, body: { metadata?: unknown; cidr_list?: unknown; ttl?: unknown; num_uses?: number }, now: number, chosen?: string) {
    const role = await this.get(name);
    const n = name.toLowerCase();
    const secretId = chosen ?? randomBytes(32).toString('base64url');
    const ttl = body.ttl !== undefined ? seconds(body.ttl, 'ttl') : role.secretIdTtl;
    const numUses = body.num_uses ?? role.secretIdNumUses;
    const accessor = randomUUID();
    const hash = this.hash(n, secretId);
    const registered = await this.secretIds.put(hash, {
      role: n,
      accessor,
      numUses,
      cidrs: cidrList(body.cidr_list, 'cidr_list'),
      metadata: parseMetadata(body.metadata),
      creationTime: now,
      expireTime: ttl > 0 ? now + ttl * 1000 : 0,
    });
    // Only a chosen value can collide (a random one is 256 bits).
    if (!registered) throw badRequest('that secret ID is already registered for this role');
    // A delete of the role between the read above and the put would miss this secret ID, and a
    // role made again under the same name would take it over: read the role again, after the put.
    const still = await this.find(n);
    if (!still || still.roleId !== role.roleId) {
      await this.secretIds.remove(hash);
      throw new LessorError('CONFLICT', `the AppRole "${name}" was deleted or got a new role ID while the secret ID was being issued`);
    }
    this.log.info({ role: n, secretIdAccessor: accessor }, 'approle secret id issued');
    return { secret_id: secretId, secret_id_accessor: accessor, secret_id_ttl: ttl, secret_id_num_uses: numUses };
  }

  async accessors(name: string): Promise<string[]> {
    await this.get(name);
    return this.secretIds.accessors(name.toLowerCase());
  }

  async lookup(name: string, by: { secretId?: string; accessor?: string }) {
    const n = name.toLowerCase();
    const hash = by.secretId !== undefined ? this.hash(n, by.secretId) : await this.secretIds.hashByAccessor(by.accessor ?? '');
    const rec = hash ? await this.secretIds.get(hash) : undefined;
    if (!rec || rec.role !== n) return undefined;
    return {
      hash: hash!,
      data: {
        secret_id_accessor: rec.accessor,
        secret_id_num_uses: rec.numUses === 0 ? 0 : rec.usesLeft,
        secret_id_ttl: rec.expireTime ? Math.round((rec.expireTime - rec.creationTime) / 1000) : 0,
        creation_time: new Date(rec.creationTime).toISOString(),
        expiration_time: rec.expireTime ? new Date(rec.expireTime).toISOString() : '0001-01-01T00:00:00Z',
        last_updated_time: new Date(rec.creationTime).toISOString(),
        metadata: rec.metadata,
        cidr_list: rec.cidrs,
        token_bound_cidrs: [],
      },
    };
  }

  async destroy(name: string, by: { secretId?: string; accessor?: string }): Promise<void> {
    const found = await this.lookup(name, by);
    if (found) await this.secretIds.remove(found.hash);
  }

  /**
   * A login, admitted by the limiter first. Every refusal before the secret ID is known good says
   * the same (`INVALID`), so the answers never tell a real role ID from a made-up one.
   */
  async login(roleId: string, secretId: string | undefined, ip: string, now: number): Promise<Issued> {
    const admitted = this.limiter.attempt(ip, roleId);
    const wasAdmitted = admitted.then(() => true, () => false);
    let outcome: LoginOutcome = 'error';
    try {
      const issued = await this.check(roleId, secretId, ip, now, admitted);
      outcome = 'ok';
      return issued;
    } catch (err) {
      if (isLessorError(err) && err.code === 'LOGIN_REFUSED') outcome = 'failed';
      throw err;
    } finally {
      if (await wasAdmitted) await this.limiter.done(ip, roleId, outcome);
    }
  }

  private async check(roleId: string, secretId: string | undefined, ip: string, now: number, admitted: Promise<void>): Promise<Issued> {
    // The role version and, when this replica has seen the role before, the secret ID's record
    // are read in the same tick: one socket write. The record read is only a guess until the
    // version confirms the role's name (a changed role_id reads it again).
    const version = this.version.get();
    const guess = secretId ? this.byRoleId.peek(roleId) : undefined;
    const guessHash = guess?.role.bindSecretId ? this.hash(guess.name, secretId!) : undefined;
    const early = guessHash ? this.secretIds.get(guessHash) : undefined;
    early?.catch(() => {}); // awaited below only if the guess holds
    version.catch(() => {}); // awaited by forLogin, unless the limiter refuses first
    // Reads may start early; no answer is decided before the attempt is counted.
    await admitted;
    const found = await this.forLogin(roleId, version);
    if (!found) throw loginRefused(INVALID);
    const { name, role } = found;
    if (!ipAllowed(ip, role.secretIdBoundCidrs)) {
      this.log.info({ role: name, ip }, 'approle login refused: source address not in secret_id_bound_cidrs');
      throw loginRefused(INVALID);
    }
    // Secret-ID metadata keys are the issuer's: no prototype, so "__proto__" stays a key like any other.
    const meta = Object.assign(Object.create(null) as Record<string, string>, { role_name: name });
    if (role.bindSecretId) {
      if (!secretId) throw loginRefused(INVALID);
      const reuse = early !== undefined && guess!.name === name;
      const hash = reuse ? guessHash! : this.hash(name, secretId);
      const rec = await (reuse ? early : this.secretIds.get(hash));
      if (!rec || rec.role !== name || (rec.expireTime > 0 && rec.expireTime <= now)) throw loginRefused(INVALID);
      if (!ipAllowed(ip, rec.cidrs)) throw loginRefused('source address not allowed for this secret ID');
      if (!(await this.secretIds.consume(hash, rec.accessor, name, now))) throw loginRefused(INVALID);
      Object.assign(meta, rec.metadata, { role_name: name });
    }
    return this.tokens.issue(loginIssue(role.token, { displayName: 'approle', entityName: name, path: 'auth/approle/login', meta }));
  }
}

function seconds(v: unknown, field: string): number {
  try {
    return parseDuration(v, field);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/** Vault takes secret-ID metadata as a JSON string of a string map; an object is accepted too. */
function parseMetadata(v: unknown): Record<string, string> {
  if (v === undefined || v === null || v === '') return {};
  let obj = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch {
      throw badRequest('metadata must be a JSON object of strings');
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest('metadata must be a JSON object of strings');
  return Object.fromEntries(Object.entries(obj).map(([k, val]) => [k, String(val)]));
}

/** The role after a write: the fields sent over the stored role (or a new role's defaults). */
function mergeAppRole(body: Record<string, unknown>, prev: AppRoleSettings | undefined): AppRoleSettings {
  const s: AppRoleSettings = prev ?? {
    roleId: randomUUID(),
    bindSecretId: true,
    secretIdNumUses: 0,
    secretIdTtl: 0,
    secretIdBoundCidrs: [],
    token: DEFAULT_TOKEN_SETTINGS,
  };
  if (body.bind_secret_id !== undefined) s.bindSecretId = body.bind_secret_id === true;
  if (body.secret_id_num_uses !== undefined) s.secretIdNumUses = Number(body.secret_id_num_uses);
  if (body.secret_id_ttl !== undefined) s.secretIdTtl = seconds(body.secret_id_ttl, 'secret_id_ttl');
  const bound = body.secret_id_bound_cidrs ?? body.bound_cidr_list; // the second is Vault's legacy name
  if (bound !== undefined) s.secretIdBoundCidrs = cidrList(bound, 'secret_id_bound_cidrs');
  s.token = mergeTokenSettings(body, s.token);
  if (!s.bindSecretId && s.secretIdBoundCidrs.length === 0 && s.token.tokenBoundCidrs.length === 0) {
    throw badRequest('bind_secret_id=false needs secret_id_bound_cidrs or token_bound_cidrs, or anyone with the role ID could log in');
  }
  return s;
}
