// The Redis and crypto work one `apikey/verify` has to do, with nothing of lessor's around it:
// read the caller's token and the policy version (one round trip), read the key's record,
// HMAC the presented secret. Run behind a bare fastify route in the baseline child: the verify
// floor, beside the constant route's ceiling.
import { createHmac, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/keys.js';

export interface VerifyTarget {
  redisUrl: string;
  /** LESSOR_REDIS_PREFIX. */
  prefix: string;
  /** hashToken(the caller's token). */
  tokenHash: string;
  keyId: string;
}

export function rawVerifier(target: VerifyTarget) {
  const redis = new Redis(target.redisUrl, { enableAutoPipelining: true });
  const keys = new RedisKeys(target.prefix);
  const k = (...parts: string[]) => keys.key(...parts);
  const tokenKey = k('token', 't', target.tokenHash);
  const versionKey = k('token', 'policy-version');
  const stateKey = k('engine', 'apikey', `key:${target.keyId}`);
  // The engine's HMAC key is read once and cached by lessor too; any 32 bytes cost the same
  // (so the digest is computed but not compared: this key is not the engine's).
  const hmacKey = randomBytes(32);
  return {
    async verify(secret: string): Promise<Record<string, unknown>> {
      const [[tok], _version] = await Promise.all([redis.hmget(tokenKey, 'rec', 'uses', 'exp'), redis.get(versionKey)]);
      if (!tok) throw new Error('token missing');
      JSON.parse(tok);
      const [raw, digest] = await Promise.all([redis.get(stateKey), Promise.resolve(createHmac('sha256', hmacKey).update(`${target.keyId}:${secret}`).digest('base64url'))]);
      if (!raw) throw new Error('key missing');
      const record = JSON.parse(raw) as { role: string; scopes: string[]; metadata: Record<string, string>; expires_at: number; digest: string };
      return { valid: digest.length > 0, key_id: target.keyId, role: record.role, scopes: record.scopes, metadata: record.metadata, expire_time: new Date(record.expires_at).toISOString() };
    },
    close: () => redis.disconnect(),
  };
}
