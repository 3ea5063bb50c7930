/**
 * A signing key set, kept inside the key config (`jwt/keys/:name`): the current key's private
 * JWK (sealed by the core: it is listed in secretConfigPaths) and the public halves of the
 * current and previous keys with their retire times. Rotation retires the current key instead of
 * deleting it, so tokens in flight keep verifying for `verification_ttl`; after that the key
 * leaves the JWKS and the config for good.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { configError, parseDuration } from '../sdk/index.js';

export const ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export interface PublicKeyEntry {
  kid: string;
  alg: Algorithm;
  public_jwk: JWK;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds; absent on the current key. */
  retired_at?: number;
}

/** The stored config. Durations are whole seconds once initialised. */
export interface KeyConfig {
  algorithm?: Algorithm;
  rotation_period?: number | string;
  verification_ttl?: number | string;
  current_kid?: string;
  /** JSON of the current private JWK. Sealed at rest by the core; never returned or logged. */
  private_key?: string;
  keys?: PublicKeyEntry[];
}

export type ReadyKeyConfig = Required<Omit<KeyConfig, 'rotation_period' | 'verification_ttl'>> & {
  rotation_period: number;
  verification_ttl: number;
};

export const DEFAULTS = { algorithm: 'RS256' as Algorithm, rotation_period: 24 * 3600, verification_ttl: 24 * 3600 };

const seconds = (ms: number) => Math.floor(ms / 1000);

async function newKey(alg: Algorithm, nowMs: number): Promise<{ entry: PublicKeyEntry; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(publicKey);
  // The thumbprint (RFC 7638) as kid: unique across key sets without coordination.
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  return { entry: { kid, alg, public_jwk: { ...publicJwk, kid, alg, use: 'sig' }, created_at: seconds(nowMs) }, privateJwk };
}

/** Is a key still inside its verification window (current keys always are)? */
export function inWindow(entry: PublicKeyEntry, verificationTtl: number, nowMs: number): boolean {
  return entry.retired_at === undefined || (entry.retired_at + verificationTtl) * 1000 > nowMs;
}

/** Replaces the current key with a fresh one; the old one is retired now; expired ones are dropped. */
export async function rotate(config: ReadyKeyConfig, nowMs: number, alg: Algorithm = config.algorithm): Promise<ReadyKeyConfig> {
  const { entry, privateJwk } = await newKey(alg, nowMs);
  const previous = config.keys
    .map((k) => (k.retired_at === undefined ? { ...k, retired_at: seconds(nowMs) } : k))
    .filter((k) => inWindow(k, config.verification_ttl, nowMs));
  return { ...config, algorithm: alg, current_kid: entry.kid, private_key: JSON.stringify(privateJwk), keys: [entry, ...previous] };
}

/** Completes a config as written by the caller (stored fields overlaid, see the SDK). */
export async function prepare(input: KeyConfig, nowMs: number): Promise<ReadyKeyConfig> {
  const base: ReadyKeyConfig = {
    algorithm: input.algorithm ?? DEFAULTS.algorithm,
    rotation_period: parseDuration(input.rotation_period ?? DEFAULTS.rotation_period, 'rotation_period'),
    verification_ttl: parseDuration(input.verification_ttl ?? DEFAULTS.verification_ttl, 'verification_ttl'),
    current_kid: input.current_kid ?? '',
    private_key: input.private_key ?? '',
    keys: input.keys ?? [],
  };
  if (!ALGORITHMS.includes(base.algorithm)) throw configError(`algorithm must be one of ${ALGORITHMS.join(', ')}`);
  if (base.rotation_period !== 0 && base.rotation_period < 1) throw configError('rotation_period must be 0 (never) or at least 1s');
  const current = base.keys.find((k) => k.kid === base.current_kid);
  // A new key set, or a changed algorithm: a key can only ever sign with one algorithm.
  if (!current || !base.private_key || current.alg !== base.algorithm) return rotate(base, nowMs);
  return { ...base, keys: base.keys.filter((k) => inWindow(k, base.verification_ttl, nowMs)) };
}

/** When the current key is due for replacement (ms), or undefined when rotation is off. */
export function rotationDue(config: ReadyKeyConfig): number | undefined {
  if (!config.rotation_period) return undefined;
  const current = config.keys.find((k) => k.kid === config.current_kid);
  return ((current?.created_at ?? 0) + config.rotation_period) * 1000;
}

export function currentEntry(config: ReadyKeyConfig): PublicKeyEntry {
  const current = config.keys.find((k) => k.kid === config.current_kid);
  if (!current) throw configError('key set has no current key');
  return current;
}

// Imported keys by kid. A kid is a thumbprint, so an entry can never go stale.
const publicKeys = new Map<string, Promise<CryptoKey | Uint8Array>>();

export function publicKeyFor(entry: PublicKeyEntry): Promise<CryptoKey | Uint8Array> {
  let p = publicKeys.get(entry.kid);
  if (!p) {
    p = importJWK(entry.public_jwk, entry.alg);
    publicKeys.set(entry.kid, p);
    if (publicKeys.size > 1000) publicKeys.delete(publicKeys.keys().next().value!);
  }
  return p;
}
