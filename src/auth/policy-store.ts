import type { SqlStore } from '../db/sql-store.js';
import { badRequest } from '../errors.js';
import { Acl } from './policy-acl.js';
import { parsePolicy, PolicyParseError, type PolicyRules } from './policy-parse.js';
import { VersionedCache, type VersionCounter } from '../redis/version-counter.js';

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
      // Vault's default policy has the legacy path too: older clients renew through it.
      'sys/renew': { capabilities: ['update'] },
      'sys/leases/renew': { capabilities: ['update'] },
      'sys/leases/lookup': { capabilities: ['update'] },
      'sys/capabilities-self': { capabilities: ['update'] },
      'sys/wrapping/wrap': { capabilities: ['update'] },
      'sys/wrapping/unwrap': { capabilities: ['update'] },
      'sys/wrapping/lookup': { capabilities: ['update'] },
    },
  },
  null,
  2,
);

/** Built in and fixed, as in Vault: what a wrapping token may do (src/auth/wrapping.ts). */
export const WRAPPING_POLICY_NAME = 'response-wrapping';
export const RESPONSE_WRAPPING_POLICY = JSON.stringify(
  {
    path: {
      'sys/wrapping/unwrap': { capabilities: ['update'] },
      'sys/wrapping/lookup': { capabilities: ['update'] },
      'sys/wrapping/rewrap': { capabilities: ['update'] },
    },
  },
  null,
  2,
);
const FIXED = ['root', WRAPPING_POLICY_NAME];

const NAME_RE = /^[a-z0-9][a-z0-9_.@-]{0,127}$/;
const MAX_CACHED_SETS = 1000;

export class PolicyStore {
  private readonly cache = new VersionedCache<Acl>({ maxEntries: MAX_CACHED_SETS });

  constructor(private readonly sql: SqlStore, private readonly version: VersionCounter) {}

  static normaliseName(name: string): string {
    const n = name.toLowerCase();
    if (!NAME_RE.test(n)) throw badRequest(`policy name "${name}" must be 1-128 lowercase letters, digits, "_", ".", "@" or "-"`);
    return n;
  }

  async get(name: string): Promise<string | undefined> {
    const n = name.toLowerCase();
    if (n === 'root') return undefined; // Vault: root is built in and has no readable text
    if (n === WRAPPING_POLICY_NAME) return RESPONSE_WRAPPING_POLICY;
    const { rows } = await this.sql.query<{ policy: string }>('SELECT policy FROM acl_policies WHERE name = $1', [n]);
    if (rows[0]) return rows[0].policy;
    return n === 'default' ? DEFAULT_POLICY : undefined;
  }

  async put(name: string, text: string): Promise<void> {
    const n = PolicyStore.normaliseName(name);
    if (FIXED.includes(n)) throw badRequest(`cannot update the ${n} policy`);
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
    if (FIXED.includes(n) || n === 'default') throw badRequest(`cannot delete the ${n} policy`);
    await this.sql.query('DELETE FROM acl_policies WHERE name = $1', [n]);
    await this.version.bump();
  }

  async list(): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM acl_policies ORDER BY name');
    return [...new Set(['default', ...rows.map((r) => r.name), 'root'])].sort();
  }

  /**
   * Starts reading the policy version now. A request reads it next to its token, so both
   * leave in one socket write; aclFor then takes the promise instead of reading again.
   */
  currentVersion(): Promise<number> {
    return this.version.get();
  }

  /**
   * The compiled matcher for a token's policies (unknown names contribute nothing). `version`:
   * a read of the policy version this request started earlier (currentVersion); read now if absent.
   */
  async aclFor(policies: string[], version?: Promise<number>): Promise<Acl> {
    const v = await (version ?? this.version.get());
    const key = [...policies].sort().join('\n');
    const hit = this.cache.get(v, key);
    if (hit) return hit;
    const { rows } = await this.sql.query<{ name: string; rules: PolicyRules | string }>(
      'SELECT name, rules FROM acl_policies WHERE name = ANY($1)',
      [policies],
    );
    const sets = rows.map((r) => (typeof r.rules === 'string' ? (JSON.parse(r.rules) as PolicyRules) : r.rules));
    if (policies.includes('default') && !rows.some((r) => r.name === 'default')) sets.push(parsePolicy(DEFAULT_POLICY));
    if (policies.includes(WRAPPING_POLICY_NAME)) sets.push(parsePolicy(RESPONSE_WRAPPING_POLICY));
    const acl = new Acl(sets);
    this.cache.set(v, key, acl);
    return acl;
  }
}
