import { mergeRow } from '../../db/merge-row.js';
import type { SqlStore } from '../../db/sql-store.js';
import { badRequest, notFound } from '../../errors.js';
import { createPublicKey } from 'node:crypto';
import { commaList } from '../../../plugins/sdk/comma-list.js';
import { parseDuration } from '../../../plugins/sdk/duration.js';
import { DEFAULT_TOKEN_SETTINGS, mergeTokenSettings, tokenSettingsView, type TokenSettings } from '../token-settings.js';

/**
 * JWT auth config (where the signing keys come from, which issuer) and roles (what a token
 * must claim, what policies it gets), in the config store.
 */
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface JwtConfig {
  jwksUrl: string;
  jwtValidationPubkeys: string[];
  oidcDiscoveryUrl: string;
  boundIssuer: string;
  jwtSupportedAlgs: string[];
  defaultRole: string;
}

export interface JwtRole {
  boundAudiences: string[];
  boundSubject: string;
  boundClaims: Record<string, string[]>;
  boundClaimsType: 'string' | 'glob';
  userClaim: string;
  clockSkewLeeway: number;
  token: TokenSettings;
}

export function configFromBody(b: Record<string, unknown>): JwtConfig {
  const c: JwtConfig = {
    jwksUrl: String(b.jwks_url ?? ''),
    jwtValidationPubkeys: stringListKeepCommas(b.jwt_validation_pubkeys),
    oidcDiscoveryUrl: String(b.oidc_discovery_url ?? '').replace(/\/+$/, ''),
    boundIssuer: String(b.bound_issuer ?? ''),
    jwtSupportedAlgs: b.jwt_supported_algs === undefined ? ASYMMETRIC_ALGS : commaList(b.jwt_supported_algs),
    defaultRole: String(b.default_role ?? ''),
  };
  const sources = [c.jwksUrl, c.oidcDiscoveryUrl, c.jwtValidationPubkeys.length ? 'keys' : ''].filter(Boolean);
  if (sources.length !== 1) throw badRequest('exactly one of jwks_url, oidc_discovery_url or jwt_validation_pubkeys must be set');
  for (const url of [c.jwksUrl, c.oidcDiscoveryUrl].filter(Boolean)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw badRequest(`"${url}" is not a URL`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw badRequest(`"${url}" must be an http(s) URL`);
  }
  for (const pem of c.jwtValidationPubkeys) {
    try {
      const key = createPublicKey(pem);
      if (key.type !== 'public') throw new Error('not public');
    } catch {
      throw badRequest('jwt_validation_pubkeys: every entry must be a PEM public key');
    }
  }
  // Symmetric algorithms would let anyone holding the "public" key mint tokens; none is no signature.
  const bad = c.jwtSupportedAlgs.filter((a) => !ASYMMETRIC_ALGS.includes(a));
  if (bad.length) throw badRequest(`jwt_supported_algs: ${bad.join(', ')} not allowed (asymmetric algorithms only: ${ASYMMETRIC_ALGS.join(', ')})`);
  return c;
}

/** PEM blocks contain no commas, but lists may still arrive as one string. */
function stringListKeepCommas(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v.map(String) : [String(v)]).filter((s) => s.trim() !== '');
}

export function configView(c: JwtConfig) {
  return {
    jwks_url: c.jwksUrl,
    jwt_validation_pubkeys: c.jwtValidationPubkeys,
    oidc_discovery_url: c.oidcDiscoveryUrl,
    bound_issuer: c.boundIssuer,
    jwt_supported_algs: c.jwtSupportedAlgs,
    default_role: c.defaultRole,
  };
}

export function roleFromBody(b: Record<string, unknown>, prev?: JwtRole): JwtRole {
  const r: JwtRole = prev ?? {
    boundAudiences: [],
    boundSubject: '',
    boundClaims: {},
    boundClaimsType: 'string',
    userClaim: 'sub',
    clockSkewLeeway: 60,
    token: DEFAULT_TOKEN_SETTINGS,
  };
  if (b.role_type !== undefined && b.role_type !== 'jwt') throw badRequest('role_type must be "jwt"');
  if (b.bound_audiences !== undefined) r.boundAudiences = commaList(b.bound_audiences);
  if (b.bound_subject !== undefined) r.boundSubject = String(b.bound_subject);
  if (b.bound_claims !== undefined) {
    r.boundClaims = Object.fromEntries(Object.entries(b.bound_claims as Record<string, unknown>).map(([k, v]) => [k, commaList(v)]));
  }
  if (b.bound_claims_type !== undefined) r.boundClaimsType = b.bound_claims_type === 'glob' ? 'glob' : 'string';
  if (b.user_claim !== undefined) r.userClaim = String(b.user_claim);
  if (b.clock_skew_leeway !== undefined) {
    try {
      r.clockSkewLeeway = Math.min(parseDuration(b.clock_skew_leeway, 'clock_skew_leeway'), 300);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  }
  r.token = mergeTokenSettings(b, r.token);
  return r;
}

export function roleView(r: JwtRole) {
  return {
    role_type: 'jwt',
    bound_audiences: r.boundAudiences,
    bound_subject: r.boundSubject,
    bound_claims: r.boundClaims,
    bound_claims_type: r.boundClaimsType,
    user_claim: r.userClaim,
    clock_skew_leeway: r.clockSkewLeeway,
    ...tokenSettingsView(r.token),
  };
}

const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export class JwtSettingsRepo {
  constructor(private readonly sql: SqlStore) {}

  async config(): Promise<{ config: JwtConfig; version: string } | undefined> {
    const { rows } = await this.sql.query<{ settings: JwtConfig | string; updated_at: Date | string }>('SELECT settings, updated_at FROM jwt_auth_config WHERE id = 1');
    return rows[0] && { config: parse(rows[0].settings), version: String(new Date(rows[0].updated_at).getTime()) };
  }

  async putConfig(c: JwtConfig): Promise<void> {
    await this.sql.query(
      `INSERT INTO jwt_auth_config (id, settings, updated_at) VALUES (1, $1, clock_timestamp())
       ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = clock_timestamp()`,
      [JSON.stringify(c)],
    );
  }

  async role(name: string): Promise<JwtRole | undefined> {
    const { rows } = await this.sql.query<{ settings: JwtRole | string }>('SELECT settings FROM jwt_auth_roles WHERE name = $1', [name]);
    return rows[0] && parse(rows[0].settings);
  }

  async mustRole(name: string): Promise<JwtRole> {
    const r = await this.role(name);
    if (!r) throw notFound(`no JWT role named "${name}"`);
    return r;
  }

  /** Writes the role `change` makes of the stored one (undefined: none yet), under a row lock. */
  async mergeRole(name: string, change: (prev: JwtRole | undefined) => JwtRole): Promise<void> {
    if (!/^[\w.-]{1,128}$/.test(name)) throw badRequest('role name must be 1-128 letters, digits, "_", "." or "-"');
    await mergeRow<JwtRole>(this.sql, {
      read: async (tx) => {
        const { rows } = await tx.query<{ settings: JwtRole | string }>('SELECT settings FROM jwt_auth_roles WHERE name = $1 FOR UPDATE', [name]);
        return rows[0] && parse(rows[0].settings);
      },
      write: async (tx, prev) => {
        const settings = JSON.stringify(change(prev));
        if (prev) {
          await tx.query('UPDATE jwt_auth_roles SET settings = $2, updated_at = now() WHERE name = $1', [name, settings]);
          return true;
        }
        return (await tx.query('INSERT INTO jwt_auth_roles (name, settings) VALUES ($1, $2) ON CONFLICT DO NOTHING', [name, settings])).rowCount === 1;
      },
    });
  }

  async deleteRole(name: string): Promise<void> {
    await this.sql.query('DELETE FROM jwt_auth_roles WHERE name = $1', [name]);
  }

  async roles(): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM jwt_auth_roles ORDER BY name');
    return rows.map((r) => r.name);
  }
}
