import { commaList, commaListSchema } from '../../plugins/sdk/comma-list.js';
import { durationSchema, parseDuration } from '../../plugins/sdk/duration.js';
import { badRequest } from '../errors.js';
import { parseCidrs } from './cidr.js';
import type { IssueRequest } from './tokens.js';

/**
 * Vault's common token fields of an auth-method role or user (`token_policies`, `token_ttl`, …),
 * in one place for AppRole, JWT and userpass. Stored in camelCase, answered in snake_case.
 */
/** A duration, or "" for none (some clients send the zero value as an empty string). */
export const periodSchema = { anyOf: [...durationSchema.anyOf, { const: '' }] } as const;

/**
 * A use count (num_uses and its kin): a whole number a store can count down exactly, so at most
 * 2^53 - 1. ("1e309", which the schema coerces to Infinity past every bound, is refused by the
 * input limits: src/http/input-limits.ts.)
 */
export const useCountSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

export const tokenFieldsSchema = {
  token_policies: commaListSchema(),
  policies: commaListSchema(),
  token_ttl: durationSchema,
  token_max_ttl: durationSchema,
  token_explicit_max_ttl: durationSchema,
  token_num_uses: useCountSchema,
  token_period: periodSchema,
  token_bound_cidrs: commaListSchema(),
  token_no_default_policy: { type: 'boolean' },
  token_type: { type: 'string', enum: ['service', 'default'] },
} as const;

export interface TokenSettings {
  tokenPolicies: string[];
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenExplicitMaxTtl: number;
  tokenNumUses: number;
  tokenBoundCidrs: string[];
  tokenNoDefaultPolicy: boolean;
  /** Seconds; 0 = not periodic. Absent in settings stored before periodic tokens. */
  tokenPeriod?: number;
}

export const DEFAULT_TOKEN_SETTINGS: TokenSettings = {
  tokenPolicies: [],
  tokenTtl: 0,
  tokenMaxTtl: 0,
  tokenExplicitMaxTtl: 0,
  tokenNumUses: 0,
  tokenBoundCidrs: [],
  tokenNoDefaultPolicy: false,
};

export function cidrList(v: unknown, field: string): string[] {
  try {
    return parseCidrs(commaList(v), field);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/** A duration field of a request body, or a 400 naming the field. */
export const seconds = (v: unknown, field: string) => {
  try {
    return parseDuration(v, field);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
};

/** Applies the token fields present in a request body over existing settings. */
export function mergeTokenSettings(body: Record<string, unknown>, prev: TokenSettings = DEFAULT_TOKEN_SETTINGS): TokenSettings {
  const s = { ...prev };
  const policies = body.token_policies ?? body.policies;
  if (policies !== undefined) s.tokenPolicies = commaList(policies).map((p) => p.toLowerCase());
  if (body.token_ttl !== undefined) s.tokenTtl = seconds(body.token_ttl, 'token_ttl');
  if (body.token_max_ttl !== undefined) s.tokenMaxTtl = seconds(body.token_max_ttl, 'token_max_ttl');
  if (body.token_explicit_max_ttl !== undefined) s.tokenExplicitMaxTtl = seconds(body.token_explicit_max_ttl, 'token_explicit_max_ttl');
  if (body.token_num_uses !== undefined) s.tokenNumUses = Number(body.token_num_uses);
  if (body.token_bound_cidrs !== undefined) s.tokenBoundCidrs = cidrList(body.token_bound_cidrs, 'token_bound_cidrs');
  const period = body.token_period ?? body.period;
  if (period !== undefined) s.tokenPeriod = period === '' ? 0 : seconds(period, body.token_period !== undefined ? 'token_period' : 'period');
  if (body.token_no_default_policy !== undefined) s.tokenNoDefaultPolicy = body.token_no_default_policy === true;
  if (s.tokenMaxTtl && s.tokenTtl > s.tokenMaxTtl) throw badRequest('token_ttl must not exceed token_max_ttl');
  return s;
}

export function tokenSettingsView(s: TokenSettings) {
  return {
    token_policies: s.tokenPolicies,
    policies: s.tokenPolicies,
    token_ttl: s.tokenTtl,
    token_max_ttl: s.tokenMaxTtl,
    token_explicit_max_ttl: s.tokenExplicitMaxTtl,
    token_num_uses: s.tokenNumUses,
    token_bound_cidrs: s.tokenBoundCidrs,
    token_no_default_policy: s.tokenNoDefaultPolicy,
    token_period: s.tokenPeriod ?? 0,
    token_type: 'default',
  };
}

/** What a login issues from a role's token settings: an orphan token, as Vault's logins do. */
export function loginIssue(
  s: TokenSettings,
  who: { displayName: string; entityName: string; path: string; meta: Record<string, string> },
): IssueRequest {
  const policies = [...s.tokenPolicies];
  if (!s.tokenNoDefaultPolicy && !policies.includes('default')) policies.push('default');
  // A periodic token ignores token_max_ttl (Vault's rule); only an explicit max caps it.
  const maxTtl = [s.tokenPeriod ? 0 : s.tokenMaxTtl, s.tokenExplicitMaxTtl].filter((x) => x > 0);
  return {
    policies,
    meta: who.meta,
    // The login's metadata comes from the method's configuration, not the caller: the entity's.
    entityMeta: who.meta,
    ttl: s.tokenTtl || undefined,
    explicitMaxTtl: maxTtl.length ? Math.min(...maxTtl) : undefined,
    period: s.tokenPeriod || undefined,
    numUses: s.tokenNumUses,
    boundCidrs: s.tokenBoundCidrs,
    displayName: who.displayName,
    entityName: who.entityName,
    path: who.path,
  };
}
