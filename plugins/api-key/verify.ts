/**
 * `POST apikey/verify`: is this key good right now? A bad key is an answer (200, valid:false),
 * not an error: the caller is asking. The cost is one state read and one HMAC, and none at all
 * for a mistyped key, which the checksum rejects offline.
 */
import type { EngineContext } from '../sdk/index.js';
import { parseKey } from './key-format.js';
import { digestMatches, digestOf, stateKey, type StoredKey } from './store.js';

export type InvalidReason = 'malformed' | 'bad_checksum' | 'unknown' | 'expired';

export interface VerifyResult {
  valid: boolean;
  /** Why not, when valid is false. `unknown` covers never issued, revoked and a wrong secret alike. */
  reason?: InvalidReason;
  key_id: string | null;
  role: string | null;
  scopes: string[];
  metadata: Record<string, string>;
  /** RFC 3339, as Vault's lease lookup writes times. */
  expire_time: string | null;
}

function invalid(reason: InvalidReason, keyId: string | null = null): VerifyResult {
  return { valid: false, reason, key_id: keyId, role: null, scopes: [], metadata: {}, expire_time: null };
}

export async function verifyKey(apiKey: string, ctx: EngineContext): Promise<VerifyResult> {
  const parsed = parseKey(apiKey);
  if (!parsed.ok) return invalid(parsed.reason);
  const [record, digest] = await Promise.all([
    ctx.state.get<StoredKey>(stateKey(parsed.keyId)),
    digestOf(ctx, parsed.keyId, parsed.secret),
  ]);
  // A wrong secret for a real id answers like an unknown id, so probing ids learns nothing.
  if (!record || !digestMatches(record.digest, digest)) return invalid('unknown', parsed.keyId);
  if (record.expires_at <= ctx.now()) return invalid('expired', parsed.keyId);
  return {
    valid: true,
    key_id: parsed.keyId,
    role: record.role,
    scopes: record.scopes,
    metadata: record.metadata,
    expire_time: new Date(record.expires_at).toISOString(),
  };
}
