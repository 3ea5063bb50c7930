import { commaList, commaListSchema } from '../../plugins/sdk/comma-list.js';
import { durationSchema } from '../../plugins/sdk/duration.js';
import { mergeRow } from '../db/merge-row.js';
import type { SqlStore } from '../db/sql-store.js';
import { badRequest, notFound } from '../errors.js';
import { cidrList, periodSchema, seconds, useCountSchema } from './token-settings.js';

/**
 * Vault's token roles (`auth/token/roles/:name`, used by `auth/token/create/:name`): what a
 * caller may hand out through the role, whatever policies it holds itself. An orchestrator's
 * token with `update` on `auth/token/create/app` can give tasks the role's policies, orphan or
 * periodic tokens, without root or sudo.
 */
export interface TokenRole {
  allowedPolicies: string[];
  disallowedPolicies: string[];
  /** Vault 1.10's `*` patterns over policy names, beside the exact lists. */
  allowedPoliciesGlob: string[];
  disallowedPoliciesGlob: string[];
  orphan: boolean;
  renewable: boolean;
  pathSuffix: string;
  /** Seconds; 0 = none. */
  tokenExplicitMaxTtl: number;
  tokenPeriod: number;
  tokenNumUses: number;
  tokenBoundCidrs: string[];
  tokenNoDefaultPolicy: boolean;
}

const DEFAULT_ROLE: TokenRole = {
  allowedPolicies: [],
  disallowedPolicies: [],
  allowedPoliciesGlob: [],
  disallowedPoliciesGlob: [],
  orphan: false,
  renewable: true,
  pathSuffix: '',
  tokenExplicitMaxTtl: 0,
  tokenPeriod: 0,
  tokenNumUses: 0,
  tokenBoundCidrs: [],
  tokenNoDefaultPolicy: false,
};

/** Body of a role write; `period`, `explicit_max_ttl` and `bound_cidrs` are Vault's older names. */
export const tokenRoleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    allowed_policies: commaListSchema(),
    disallowed_policies: commaListSchema(),
    allowed_policies_glob: commaListSchema(),
    disallowed_policies_glob: commaListSchema(),
    orphan: { type: 'boolean' },
    renewable: { type: 'boolean' },
    path_suffix: { type: 'string', pattern: '^[\\w.-]{0,128}$' },
    token_explicit_max_ttl: durationSchema,
    explicit_max_ttl: durationSchema,
    token_period: periodSchema,
    period: periodSchema,
    token_num_uses: useCountSchema,
    token_bound_cidrs: commaListSchema(),
    bound_cidrs: commaListSchema(),
    token_no_default_policy: { type: 'boolean' },
    token_type: { type: 'string', enum: ['service', 'default', 'default-service'] },
  },
} as const;

/** Role names, checked by the routes' params schema (auth-token-roles.ts). */
export const TOKEN_ROLE_NAME_PATTERN = '^[\\w.-]{1,128}$';
const policyList = (v: unknown) => commaList(v).map((p) => p.trim().toLowerCase()).filter(Boolean);
/** "" is how some clients send "none". */
const secondsOrNone = (v: unknown, field: string) => (v === '' ? 0 : seconds(v, field));

export function mergeTokenRole(body: Record<string, unknown>, prev: TokenRole = DEFAULT_ROLE): TokenRole {
  const r = { ...prev };
  if (body.allowed_policies !== undefined) r.allowedPolicies = policyList(body.allowed_policies);
  if (body.disallowed_policies !== undefined) r.disallowedPolicies = policyList(body.disallowed_policies);
  if (body.allowed_policies_glob !== undefined) r.allowedPoliciesGlob = policyList(body.allowed_policies_glob);
  if (body.disallowed_policies_glob !== undefined) r.disallowedPoliciesGlob = policyList(body.disallowed_policies_glob);
  if (body.orphan !== undefined) r.orphan = body.orphan === true;
  if (body.renewable !== undefined) r.renewable = body.renewable === true;
  if (body.path_suffix !== undefined) r.pathSuffix = String(body.path_suffix);
  const maxTtl = body.token_explicit_max_ttl ?? body.explicit_max_ttl;
  if (maxTtl !== undefined) r.tokenExplicitMaxTtl = secondsOrNone(maxTtl, body.token_explicit_max_ttl !== undefined ? 'token_explicit_max_ttl' : 'explicit_max_ttl');
  const period = body.token_period ?? body.period;
  if (period !== undefined) r.tokenPeriod = secondsOrNone(period, body.token_period !== undefined ? 'token_period' : 'period');
  if (body.token_num_uses !== undefined) r.tokenNumUses = Number(body.token_num_uses);
  const cidrs = body.token_bound_cidrs ?? body.bound_cidrs;
  if (cidrs !== undefined) r.tokenBoundCidrs = cidrList(cidrs, body.token_bound_cidrs !== undefined ? 'token_bound_cidrs' : 'bound_cidrs');
  if (body.token_no_default_policy !== undefined) r.tokenNoDefaultPolicy = body.token_no_default_policy === true;
  if (r.allowedPolicies.includes('root')) throw badRequest('a token role may not allow the root policy');
  return r;
}

export function tokenRoleView(name: string, r: TokenRole) {
  return {
    name,
    allowed_policies: r.allowedPolicies,
    disallowed_policies: r.disallowedPolicies,
    allowed_policies_glob: r.allowedPoliciesGlob,
    disallowed_policies_glob: r.disallowedPoliciesGlob,
    allowed_entity_aliases: [],
    orphan: r.orphan,
    renewable: r.renewable,
    path_suffix: r.pathSuffix,
    token_explicit_max_ttl: r.tokenExplicitMaxTtl,
    explicit_max_ttl: r.tokenExplicitMaxTtl,
    token_period: r.tokenPeriod,
    period: r.tokenPeriod,
    token_num_uses: r.tokenNumUses,
    token_bound_cidrs: r.tokenBoundCidrs,
    bound_cidrs: r.tokenBoundCidrs,
    token_no_default_policy: r.tokenNoDefaultPolicy,
    token_type: 'default-service',
  };
}

/** Vault's rule for a child token: policies its parent does not hold (`default` always allowed). */
export function beyondParent(policies: string[], parentPolicies: string[]): string[] {
  return policies.filter((p) => p !== 'default' && !parentPolicies.includes(p));
}

/**
 * A Vault policy glob: `*` stands for any run of characters, anywhere in the pattern, and
 * nothing else is special (go-glob, which Vault uses for the `*_policies_glob` fields).
 */
export function policyGlobMatch(pattern: string, name: string): boolean {
  const literal = (part: string) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${pattern.split('*').map(literal).join('.*')}$`, 's').test(name);
}

const anyGlob = (patterns: string[], name: string) => patterns.some((g) => policyGlobMatch(g, name));

/**
 * The policies a token created through a role gets, by Vault's rules: with `allowed_policies`
 * (or `allowed_policies_glob`) the request may ask for any of them (none asked: every exact
 * one), whether or not the caller holds them; without, the caller's own policies bound the
 * request as on `auth/token/create`. `disallowed_policies` and `disallowed_policies_glob` are
 * refused either way, and strip `default` when they name it.
 */
export function rolePolicies(role: TokenRole, asked: string[] | undefined, parentPolicies: string[], callerIsRoot: boolean, noDefault: boolean): string[] {
  const disallowed = (p: string) => role.disallowedPolicies.includes(p) || anyGlob(role.disallowedPoliciesGlob, p);
  let policies: string[];
  if (role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0) {
    policies = asked ?? role.allowedPolicies.filter((p) => !disallowed(p));
    const outside = policies.filter((p) => p !== 'default' && !role.allowedPolicies.includes(p) && !anyGlob(role.allowedPoliciesGlob, p));
    if (outside.length) {
      const allowed = [...role.allowedPolicies, ...role.allowedPoliciesGlob].join(', ');
      throw badRequest(`token policies (${outside.join(', ')}) must be a subset of the role's allowed policies (${allowed})`);
    }
  } else {
    policies = asked ?? parentPolicies.filter((p) => p !== 'root' || callerIsRoot);
    const extra = callerIsRoot ? [] : beyondParent(policies, parentPolicies);
    if (extra.length) throw badRequest(`token policies (${extra.join(', ')}) must be a subset of the parent's policies`);
  }
  const refused = policies.filter((p) => disallowed(p) && p !== 'default');
  if (refused.length) throw badRequest(`token policies (${refused.join(', ')}) contain policies the role disallows`);
  if (policies.includes('root') && !callerIsRoot) throw badRequest('a token role cannot hand out the root policy');
  policies = policies.filter((p) => p !== 'default');
  if (!noDefault && !role.tokenNoDefaultPolicy && !disallowed('default') && !policies.includes('root')) policies.push('default');
  return policies;
}

const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export class TokenRoleStore {
  constructor(private readonly sql: SqlStore) {}

  async find(name: string): Promise<TokenRole | undefined> {
    const { rows } = await this.sql.query<{ settings: TokenRole | string }>('SELECT settings FROM token_roles WHERE name = $1', [name]);
    return rows[0] ? { ...DEFAULT_ROLE, ...parse(rows[0].settings) } : undefined;
  }

  async get(name: string): Promise<TokenRole> {
    const r = await this.find(name);
    if (!r) throw notFound(`no token role named "${name}"`);
    return r;
  }

  async write(name: string, body: Record<string, unknown>): Promise<void> {
    await mergeRow<TokenRole>(this.sql, {
      read: async (tx) => {
        const { rows } = await tx.query<{ settings: TokenRole | string }>('SELECT settings FROM token_roles WHERE name = $1 FOR UPDATE', [name]);
        return rows[0] ? { ...DEFAULT_ROLE, ...parse(rows[0].settings) } : undefined;
      },
      write: async (tx, prev) => {
        const settings = JSON.stringify(mergeTokenRole(body, prev));
        if (prev) {
          await tx.query('UPDATE token_roles SET settings = $2, updated_at = now() WHERE name = $1', [name, settings]);
          return true;
        }
        return (await tx.query('INSERT INTO token_roles (name, settings) VALUES ($1, $2) ON CONFLICT DO NOTHING', [name, settings])).rowCount === 1;
      },
    });
  }

  async delete(name: string): Promise<void> {
    await this.sql.query('DELETE FROM token_roles WHERE name = $1', [name]);
  }

  async list(): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM token_roles ORDER BY name');
    return rows.map((r) => r.name);
  }
}
