/**
 * The jwt-signing SecretsEngine: one instance per key set. A "credential" is a signed JWT whose
 * jti is the lease's credential id; a state entry per jti (written before the token is handed
 * out, deleted on revocation, expiring with the token) is what introspect checks for liveness.
 */
import { createHash } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { configError, parseDuration, type EngineContext, type Requester, type SecretsEngine } from '../sdk/index.js';
import { renderClaims, renderText } from './claims.js';
import { currentEntry, prepare, type Algorithm, type KeyConfig, type ReadyKeyConfig } from './keyset.js';

export interface JwtRole {
  key: string;
  ttl?: number | string;
  max_ttl?: number | string;
  audience?: string | string[];
  issuer?: string;
  /** Template for `sub`; default `{{identity.entity.name}}`. */
  subject?: string;
  /** Claims template: an object, or JSON text. */
  claims?: Record<string, unknown> | string;
}

export const DEFAULT_ISSUER = 'lessor';
export const DEFAULT_TOKEN_TTL = 3600;
/** jti entries outlive the token a little; introspect checks exp itself, this is only GC. */
const JTI_GC_GRACE_MS = 60_000;

export const jtiKey = (jti: string) => `jti:${jti}`;
/** Lease TTL of a role: a JWT cannot be extended after signing, so the lease cannot either. */
export function tokenTtl(role: JwtRole): number {
  const ttl = parseDuration(role.ttl ?? DEFAULT_TOKEN_TTL, 'ttl');
  return role.max_ttl === undefined ? ttl : Math.min(ttl, parseDuration(role.max_ttl, 'max_ttl'));
}

interface Signer {
  kid: string;
  alg: Algorithm;
  key: Promise<CryptoKey | Uint8Array>;
}

export class JwtEngine implements SecretsEngine<KeyConfig, JwtRole> {
  private config?: ReadyKeyConfig;
  private cached?: Signer;

  async initialize(req: { config: KeyConfig }, ctx: EngineContext): Promise<{ config: KeyConfig }> {
    const config = await prepare(req.config, ctx.now());
    this.config = config;
    this.cached = undefined;
    return { config };
  }

  credentialId(req: { leaseId: string }): string {
    return createHash('sha256').update(`jwt-jti:${req.leaseId}`).digest().subarray(0, 16).toString('base64url');
  }

  // The core re-initialises an instance whenever its config's version moves on any replica, so
  // the config this instance holds is current and its key is the one to sign with.
  private signer(): Signer {
    const config = this.config;
    if (!config) throw configError('key set is not initialised');
    if (!this.cached || this.cached.kid !== config.current_kid) {
      const current = currentEntry(config);
      this.cached = { kid: current.kid, alg: current.alg, key: importJWK(JSON.parse(config.private_key), current.alg) as Promise<CryptoKey> };
    }
    return this.cached;
  }

  async newCredential(
    req: { credentialId: string; roleName: string; role: JwtRole; requester: Requester; expiresAt: number },
    ctx: EngineContext,
  ) {
    const config = this.config;
    if (!config) throw configError('key set is not initialised');
    const now = ctx.now();
    // A token outliving its key's verification window would stop verifying before it expires.
    if (req.expiresAt - now > config.verification_ttl * 1000) {
      throw configError(`role ${req.roleName}: token ttl exceeds key ${req.role.key}'s verification_ttl (${config.verification_ttl}s)`);
    }
    const who = req.requester;
    const sub = renderText(req.role.subject ?? '{{identity.entity.name}}', who) || who.displayName;
    if (!sub) throw configError(`role ${req.roleName}: the subject template gave no value for this caller`);
    const signer = this.signer();
    const exp = Math.floor(req.expiresAt / 1000);
    const claims = {
      ...renderClaims(req.role.claims, who),
      iss: req.role.issuer ?? DEFAULT_ISSUER,
      sub,
      ...(req.role.audience !== undefined ? { aud: req.role.audience } : {}),
      iat: Math.floor(now / 1000),
      exp,
      jti: req.credentialId,
    };
    // Liveness first: a token is never handed out that introspect would not know.
    await ctx.state.set(jtiKey(req.credentialId), { exp, kid: signer.kid }, Math.max(req.expiresAt - now, 0) + JTI_GC_GRACE_MS);
    const token = await new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT' }).sign(await signer.key);
    ctx.log.info({ jti: req.credentialId, kid: signer.kid, role: req.roleName }, 'jwt issued');
    return { data: { token } };
  }

  async deleteCredential(req: { credentialId: string }, ctx: EngineContext): Promise<void> {
    await ctx.state.del(jtiKey(req.credentialId));
    ctx.log.info({ jti: req.credentialId }, 'jwt revoked');
  }

  async close(): Promise<void> {}
}
