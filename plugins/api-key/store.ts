/**
 * What lessor keeps of an API key: a keyed hash of its secret and what verify answers, in the
 * mount's state store under the key id. Never the key itself.
 *
 * Why HMAC-SHA256 and not argon2/bcrypt: a slow hash exists to make guessing a *low-entropy*
 * secret (a human password) expensive. These secrets are 256 uniformly random bits; brute force
 * is out of reach whether one guess costs a nanosecond or a second, so a slow hash buys no
 * security, while it would cost ~50 ms of CPU and tens of MB per verification and cap a replica at
 * a few dozen verifications per second. The key (made by the core, kept sealed in the config
 * store) is what makes a leaked Redis dump useless: without it the stored digests cannot even be
 * checked against a candidate key offline.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EngineContext } from '../sdk/index.js';

export const HMAC_KEY_NAME = 'apikey-hmac';
/** Records outlive their expiry by this much so verify can say "expired" rather than "unknown". */
const GC_GRACE_MS = 24 * 3600 * 1000;

export interface StoredKey {
  /** base64url HMAC-SHA256 of `<key_id>:<secret>`; binding the id stops a secret being replayed under another id. */
  digest: string;
  role: string;
  scopes: string[];
  metadata: Record<string, string>;
  /** ms since the epoch */
  expires_at: number;
}

export const stateKey = (keyId: string) => `key:${keyId}`;
export const gcTtlMs = (expiresAt: number, now: number) => Math.max(expiresAt - now, 0) + GC_GRACE_MS;

// The key is fixed for the mount's life, so one fetch per context keeps verify at one state read
// plus one HMAC. Keyed by the context object: a new runtime (or test) gets its own.
const hmacKeys = new WeakMap<EngineContext, Promise<Buffer>>();

function hmacKey(ctx: EngineContext): Promise<Buffer> {
  let p = hmacKeys.get(ctx);
  if (!p) {
    p = ctx.secretKey(HMAC_KEY_NAME);
    hmacKeys.set(ctx, p);
    // A failed fetch (config store down) must not be remembered.
    p.catch(() => hmacKeys.delete(ctx));
  }
  return p;
}

export async function digestOf(ctx: EngineContext, keyId: string, secret: string): Promise<string> {
  return createHmac('sha256', await hmacKey(ctx)).update(`${keyId}:${secret}`).digest('base64url');
}

/** Constant time: the comparison leaks nothing about how much of the digest matched. */
export function digestMatches(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'base64url');
  const b = Buffer.from(actual, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b);
}
