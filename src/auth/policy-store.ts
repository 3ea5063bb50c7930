import type { SqlStore } from '../db/sql-store.js';
import type { RedisClient } from '../redis/client.js';
import type { RedisKeys } from '../redis/keys.js';
import { badRequest, unavailable } from '../errors.js';
import { Acl } from './policy-acl.js';
import { parsePolicy, PolicyParseError, type PolicyRules } from './policy-parse.js';

/**
 * ACL policies in the config store, with compiled matchers cached per policy set. Every write
 * bumps a version counter shared by all replicas (Redis, or this process in dev mode); a
 * replica that sees a new version drops its compiled matchers, so a policy change applies to
 * the next request everywhere.
 */
export const DEFAULT_POLICY = JSON.stringify(
  {
    path: {
      'auth/token/lookup-self': { capabilities: ['read', 'update'] },
      'auth/token/renew-self': { capabilities: ['update'] },
      'auth/token/revoke-self': { capabilities: ['update'] },
      'sys/leases/renew': { capabilities: ['update'] },
      'sys/leases/lookup': { capabilities: ['update'] },
      'sys/capabilities-self': { capabilities: ['update'] },
    },
  },
  null,
  2,
);

export interface PolicyVersion {
  get(): Promise<number>;
  bump(): Promise<void>;
}

export class MemoryPolicyVersion implements PolicyVersion {
  private v = 0;
  async get() {
    return this.v;
  }
  async bump() {
    this.v++;
  }
}

export class RedisPolicyVersion implements PolicyVersion {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {}
  private key = () => this.keys.key('token', 'policy-version');
  async get() {
    try {
      return Number((await this.redis.get(this.key())) ?? 0);
    } catch (err) {
      throw unavailable('the token store (Redis) is unreachable', err);
    }
  }
  async bump() {
    try {
      await this.redis.incr(this.key());
    } catch (err) {
      throw unavailable('the token store (Redis) is unreachable', err);
    }
  }
}

const NAME_RE = /^[a-z0-9][a-z0-9_.@-]{0,127}$/;
const MAX_CACHED_SETS = 1000;

export class PolicyStore {
  private cache = new Map<string, Acl>();
  private cachedVersion = -1;

  constructor(private readonly sql: SqlStore, private readonly version: PolicyVersion) {}

  static normaliseName(name: string): string {
    const n = name.toLowerCase();
    if (!NAME_RE.test(n)) throw badRequest(`policy name "${name}" must be 1-128 lowercase letters, digits, "_", ".", "@" or "-"`);
    return n;
  }

  async get(name: string): Promise<string | undefined> {
    const n = name.toLowerCase();
    if (n === 'root') return undefined; // Vault: root is built in and has no readable text
    const { rows } = await this.sql.query<{ policy: string }>('SELECT policy FROM acl_policies WHERE name = $1', [n]);
    if (rows[0]) return rows[0].policy;
    return n === 'default' ? DEFAULT_POLICY : undefined;
  }

  async put(name: string, text: string): Promise<void> {
    const n = PolicyStore.normaliseName(name);
    if (n === 'root') throw badRequest('cannot update the root policy');
    let rules: PolicyRules;
    try {
      rules = parsePolicy(text);
    } catch (err) {
      if (err instanceof PolicyParseError) throw badRequest(`failed to parse policy: ${err.message}`);
      throw err;
    }
    await this.sql.query(
      `INSERT INTO acl_policies (name, policy, rules, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (name) DO UPDATE SET policy = EXCLUDED.policy, rules = EXCLUDED.rules, updated_at = now()`,
      [n, text, JSON.stringify(rules)],
    );
    await this.version.bump();
  }

  async delete(name: string): Promise<void> {
    const n = name.toLowerCase();
    if (n === 'root' || n === 'default') throw badRequest(`cannot delete the ${n} policy`);
    await this.sql.query('DELETE FROM acl_policies WHERE name = $1', [n]);
    await this.version.bump();
  }

  async list(): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM acl_policies ORDER BY name');
    return [...new Set(['default', ...rows.map((r) => r.name), 'root'])].sort();
  }

  /** The compiled matcher for a token's policies (unknown names contribute nothing). */
  async aclFor(policies: string[]): Promise<Acl> {
    const version = await this.version.get();
    if (version !== this.cachedVersion) {
      this.cache.clear();
      this.cachedVersion = version;
    }
    const key = [...policies].sort().join('\n');
    let acl = this.cache.get(key);
    if (acl) return acl;
    const { rows } = await this.sql.query<{ name: string; rules: PolicyRules | string }>(
      'SELECT name, rules FROM acl_policies WHERE name = ANY($1)',
      [policies],
    );
    const sets = rows.map((r) => (typeof r.rules === 'string' ? (JSON.parse(r.rules) as PolicyRules) : r.rules));
    if (policies.includes('default') && !rows.some((r) => r.name === 'default')) sets.push(parsePolicy(DEFAULT_POLICY));
    acl = new Acl(sets);
    if (this.cache.size >= MAX_CACHED_SETS) this.cache.clear();
    this.cache.set(key, acl);
    return acl;
  }
}
