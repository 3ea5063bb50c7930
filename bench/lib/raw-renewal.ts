// The Redis work one api-key lease renewal has to do, in as few round trips as the data
// dependencies allow: authenticate the token; read the lease (and its revoking flag); move the
// key's own expiry (one script, as lessor's state.update) while holding the lease, as lessor's
// renewal does: hold it (lease-renew-begin), then record the new expiry and let go
// (lease-renew-commit). Run straight from the bench (the raw side) and behind a bare fastify route
// in the baseline child (the floor: HTTP plus this, and nothing of lessor's).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/keys.js';

const RENEW_BEGIN_LUA = fileURLToPath(new URL('../../src/redis/lua/lease-renew-begin-3.lua', import.meta.url));
const RENEW_COMMIT_LUA = fileURLToPath(new URL('../../src/redis/lua/lease-renew-commit-3.lua', import.meta.url));
const STATE_UPDATE_LUA = fileURLToPath(new URL('../../src/redis/lua/state-update-1.lua', import.meta.url));

export interface RenewalTarget {
  redisUrl: string;
  /** LESSOR_REDIS_PREFIX. */
  prefix: string;
  /** hashToken(the caller's token). */
  tokenHash: string;
}

type Scripts = {
  leaseRenewBegin(...a: (string | number)[]): Promise<number>;
  leaseRenewCommit(...a: (string | number)[]): Promise<number>;
  stateUpdate(...a: (string | number)[]): Promise<number>;
};

/**
 * `autoPipelining`: off for the raw side (as it has always been measured), on behind the floor
 * route, as lessor's own client has it.
 */
export function rawRenewer(target: RenewalTarget, opts: { autoPipelining: boolean }) {
  const redis = new Redis(target.redisUrl, { enableAutoPipelining: opts.autoPipelining });
  redis.defineCommand('leaseRenewBegin', { numberOfKeys: 3, lua: readFileSync(RENEW_BEGIN_LUA, 'utf8') });
  redis.defineCommand('leaseRenewCommit', { numberOfKeys: 3, lua: readFileSync(RENEW_COMMIT_LUA, 'utf8') });
  redis.defineCommand('stateUpdate', { numberOfKeys: 1, lua: readFileSync(STATE_UPDATE_LUA, 'utf8') });
  const scripts = redis as unknown as Scripts;
  const keys = new RedisKeys(target.prefix);
  const k = (...parts: string[]) => keys.key(...parts);
  const tokenKey = k('token', 't', target.tokenHash);
  const due = k('leases', 'due');
  const revoking = k('leases', 'revoking');
  return {
    async renew(leaseId: string, keyId: string): Promise<void> {
      const now = Date.now();
      const [tok] = await redis.hmget(tokenKey, 'rec', 'uses', 'exp');
      if (!tok) throw new Error('token missing');
      const rec = k('lease', leaseId);
      const res = await redis.pipeline().hgetall(rec).smismember(revoking, leaseId).exec();
      if (!res || res[0][0]) throw new Error('lease read failed');
      const exp = now + 3600_000;
      const hold = randomUUID();
      const b = await scripts.leaseRenewBegin(rec, due, revoking, leaseId, now, now + 10_000, hold);
      if (b !== 1) throw new Error(`renew-begin script answered ${b}`);
      const stateKey = k('engine', 'apikey', `key:${keyId}`);
      if ((await scripts.stateUpdate(stateKey, exp - now + 86_400_000, JSON.stringify('expires_at'), JSON.stringify(exp))) !== 1) throw new Error('key missing');
      const r = await scripts.leaseRenewCommit(rec, due, revoking, leaseId, hold, now, exp);
      if (r !== 1) throw new Error(`renew-commit script answered ${r}`);
    },
    close: () => redis.disconnect(),
  };
}
