import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { loginRefused, unavailable } from '../../errors.js';
import type { JwtConfig, JwtRole } from './settings.js';

/**
 * Verifies a login JWT with jose: signature against the configured keys (JWKS URL, OIDC
 * discovery, or static PEM keys), an asymmetric-only algorithm allow-list (so neither `none`
 * nor an HS256 token "signed" with the public key can pass), exp/nbf with a small leeway, the
 * bound issuer and audiences, then the role's subject and claim bindings.
 */
type KeySource = { kind: 'remote'; get: JWTVerifyGetKey } | { kind: 'static'; keys: KeyObject[] };

const FETCH_TIMEOUT_MS = 5000;

export class JwtVerifier {
  private cached?: { version: string; source: Promise<KeySource> };

  constructor(private readonly fetchFn: typeof fetch = fetch) {}

  private source(config: JwtConfig, version: string): Promise<KeySource> {
    if (this.cached?.version !== version) {
      const source = this.buildSource(config);
      // A failed discovery must not be cached forever: the next login tries again.
      source.catch(() => {
        if (this.cached?.source === source) this.cached = undefined;
      });
      this.cached = { version, source };
    }
    return this.cached.source;
  }

  private async buildSource(c: JwtConfig): Promise<KeySource> {
    const opts = { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 };
    if (c.jwksUrl) return { kind: 'remote', get: createRemoteJWKSet(new URL(c.jwksUrl), opts) };
    if (c.oidcDiscoveryUrl) {
      let doc: { issuer?: string; jwks_uri?: string };
      try {
        const res = await this.fetchFn(`${c.oidcDiscoveryUrl}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`status ${res.status}`);
        doc = (await res.json()) as typeof doc;
      } catch (err) {
        throw unavailable('the OIDC discovery document could not be fetched', err);
      }
      if (!doc.jwks_uri) throw unavailable('the OIDC discovery document has no jwks_uri');
      return { kind: 'remote', get: createRemoteJWKSet(new URL(doc.jwks_uri), opts) };
    }
    return { kind: 'static', keys: c.jwtValidationPubkeys.map((pem) => createPublicKey(pem)) };
  }

  async verify(jwt: string, config: JwtConfig, version: string, role: JwtRole): Promise<JWTPayload> {
    const source = await this.source(config, version);
    const options = {
      algorithms: config.jwtSupportedAlgs,
      issuer: config.boundIssuer || undefined,
      audience: role.boundAudiences.length ? role.boundAudiences : undefined,
      clockTolerance: role.clockSkewLeeway,
      requiredClaims: ['exp'],
    };
    let payload: JWTPayload | undefined;
    let lastErr: unknown;
    const keys = source.kind === 'remote' ? [source.get] : source.keys;
    for (const key of keys) {
      try {
        payload = (await jwtVerify(jwt, key as JWTVerifyGetKey, options)).payload;
        break;
      } catch (err) {
        lastErr = err;
      }
    }
    if (!payload) throw refusal(lastErr);
    if (!role.boundAudiences.length && payload.aud !== undefined) {
      throw loginRefused('the JWT has an audience claim but the role binds no audiences');
    }
    if (role.boundSubject && payload.sub !== role.boundSubject) throw loginRefused('sub claim does not match the role\'s bound subject');
    for (const [name, allowed] of Object.entries(role.boundClaims)) {
      const value = claim(payload, name);
      const values = (Array.isArray(value) ? value : [value]).filter((v) => v !== undefined && v !== null).map(String);
      const ok = values.some((v) => allowed.some((a) => (role.boundClaimsType === 'glob' ? globMatch(a, v) : a === v)));
      if (!ok) throw loginRefused(`claim "${name}" does not match the role's bound claims`);
    }
    return payload;
  }
}

/**
 * A claim by name, or by JSON pointer ("/kubernetes.io/namespace") for nested claims. Only the
 * token's own claims count: `hasOwnProperty` or `constructor` is a claim the JWT carries or
 * nothing, never a member every object inherits.
 */
export function claim(payload: JWTPayload, name: string): unknown {
  const parts = name.startsWith('/') ? name.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')) : [name];
  let cur: unknown = payload;
  for (const part of parts) {
    if (!cur || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

function refusal(err: unknown) {
  if (err && typeof err === 'object' && 'name' in err && (err as Error).name === 'LessorError') return err;
  if (err instanceof joseErrors.JWTExpired) return loginRefused('the JWT has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) return loginRefused(`JWT claim check failed: ${err.claim} ${err.reason}`);
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return loginRefused('the JWT\'s signing algorithm is not allowed');
  if (err instanceof TypeError && /fetch/i.test(err.message)) return unavailable('the JWKS endpoint could not be reached', err);
  if (err instanceof joseErrors.JWKSTimeout || (err instanceof Error && err.name === 'JWKSTimeout')) return unavailable('the JWKS endpoint did not answer');
  if (err instanceof joseErrors.JOSEError && (err as { code?: string }).code === 'ERR_JOSE_GENERIC' && /fetch|network|status/i.test(err.message)) {
    return unavailable('the JWKS endpoint could not be fetched', err);
  }
  return loginRefused('the JWT could not be verified');
}
