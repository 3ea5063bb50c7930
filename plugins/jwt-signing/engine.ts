/**
 * The jwt-signing SecretsEngine: one instance per key set. A "credential" is a signed JWT whose
 * jti is the lease's credential id; a state entry per jti (written before the token is handed
 * out, deleted on revocation, expiring with the token) is what introspect checks for liveness.
 */
import { createHash } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { configError, parseDuration, type EngineContext, type Requester, type SecretsEngine } from '../sdk/index.js';
import { renderClaims, renderText } from './claims.js';
import { prepare, type Algorithm, type KeyConfig, type ReadyKeyConfig } from './keyset.js';

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
export const signerKey = (keysetId: string) => `signer:${keysetId}`;

/**
 * What every replica signs with, published in shared state after a rotation is stored: a replica
 * whose cached instance predates the rotation switches to the new key at its next token instead
 * of signing with a retired key whose verification window is already running out.
 */
export interface PublishedSigner {
  kid: string;
  alg: Algorithm;
  /** The private JWK, sealed with the install's keyring. */
  sealed: string;
}

export async function publishSigner(config: ReadyKeyConfig, ctx: EngineContext): Promise<void> {
  const current = config.keys.find((k) => k.kid === config.current_kid)!;
  const record: PublishedSigner = { kid: current.kid, alg: current.alg, sealed: await ctx.seal(Buffer.from(config.private_key)) };
  await ctx.state.set(signerKey(config.keyset_id), record);
}

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
  private signer?: Signer;

  async initialize(req: { config: KeyConfig }, ctx: EngineContext): Promise<{ config: KeyConfig }> {
    const config = await prepare(req.config, ctx.now());
    this.config = config;
    this.signer = undefined;
    return { config };
  }

  credentialId(req: { leaseId: string }): string {
    return createHash('sha256').update(`jwt-jti:${req.leaseId}`).digest().subarray(0, 16).toString('base64url');
  }

  private async currentSigner(ctx: EngineContext): Promise<Signer> {
    const config = this.config;
    if (!config) throw configError('key set is not initialised');
    const published = await ctx.state.get<PublishedSigner>(signerKey(config.keyset_id));
    // A published kid this config does not know is newer than our cached config; one it knows as
    // retired is older (our config was rewritten since), and our own current key wins.
    const newer = published && !config.keys.some((k) => k.kid === published.kid) ? published : undefined;
    const kid = newer?.kid ?? config.current_kid;
    if (this.signer?.kid !== kid) {
      if (newer) {
        const jwk = JSON.parse((await ctx.open(newer.sealed)).toString('utf8'));
        this.signer = { kid, alg: newer.alg, key: importJWK(jwk, newer.alg) as Promise<CryptoKey> };
      } else {
        const current = config.keys.find((k) => k.kid === kid)!;
        this.signer = { kid, alg: current.alg, key: importJWK(JSON.parse(config.private_key), current.alg) as Promise<CryptoKey> };
      }
    }
    return this.signer;
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
    const signer = await this.currentSigner(ctx);
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
