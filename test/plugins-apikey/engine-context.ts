// A minimal EngineContext for driving an engine directly, without the core's mount machinery:
// state on the run's real Redis under a per-test prefix, an injectable clock, secret keys from
// random bytes, AES-GCM sealing local to this helper, and a log that keeps every line so tests
// can prove no secret is in it. The jwt-signing tests reuse it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { EngineContext, EngineLogger } from '../../plugins/sdk/index.js';
import { redisPrefix, sharedRedis, type Teardown } from '../helpers/context.js';

export interface TestEngineContext extends EngineContext {
  /** Moves the injected clock. */
  advance(ms: number): void;
  setNow(ms: number): void;
  logLines: string[];
  redis: Redis;
  /** Number of state reads so far (to show a check needed none). */
  stateReads(): number;
}

/** `atomicUpdate`: offer state.update as the core does (the core's Lua script); without it, engines fall back to get + set. */
export async function engineContext(t: Teardown, opts: { redis?: Redis; atomicUpdate?: boolean } = {}): Promise<TestEngineContext> {
  const redis = opts.redis ?? new Redis((await sharedRedis()).url, { maxRetriesPerRequest: 1 });
  if (!opts.redis) t.teardown(() => redis.disconnect());
  const prefix = `{${redisPrefix(t)}}`;
  let clock = Date.now();
  let reads = 0;
  const logLines: string[] = [];
  const line = (level: string) => (obj: object, msg: string) => void logLines.push(JSON.stringify({ level, ...obj, msg }));
  const log: EngineLogger = { info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug') };
  const keys = new Map<string, Buffer>();
  const sealKey = randomBytes(32);

  return {
    log,
    logLines,
    redis,
    now: () => clock,
    advance: (ms) => void (clock += ms),
    setNow: (ms) => void (clock = ms),
    stateReads: () => reads,
    state: {
      async get<T>(key: string): Promise<T | undefined> {
        reads++;
        const v = await redis.get(`${prefix}:${key}`);
        return v === null ? undefined : (JSON.parse(v) as T);
      },
      async set(key, value, ttlMs) {
        if (ttlMs) await redis.set(`${prefix}:${key}`, JSON.stringify(value), 'PX', Math.ceil(ttlMs));
        else await redis.set(`${prefix}:${key}`, JSON.stringify(value));
      },
      ...(opts.atomicUpdate ? { update: (key: string, fields: Record<string, unknown>, ttlMs?: number) => stateUpdate(redis, `${prefix}:${key}`, fields, ttlMs) } : {}),
      async del(key) {
        await redis.del(`${prefix}:${key}`);
      },
    },
    async secretKey(name) {
      let k = keys.get(name);
      if (!k) keys.set(name, (k = randomBytes(32)));
      return k;
    },
    async seal(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', sealKey, iv);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
    },
    async open(sealed) {
      const raw = Buffer.from(sealed, 'base64');
      const d = createDecipheriv('aes-256-gcm', sealKey, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]);
    },
  };
}

const STATE_UPDATE_LUA = fileURLToPath(new URL('../../src/redis/lua/state-update-1.lua', import.meta.url));

async function stateUpdate(redis: Redis, key: string, fields: Record<string, unknown>, ttlMs?: number): Promise<boolean> {
  const args: (string | number)[] = [ttlMs ? Math.max(1, Math.round(ttlMs)) : 0];
  for (const [f, v] of Object.entries(fields)) args.push(JSON.stringify(f), JSON.stringify(v));
  return (await redis.eval(readFileSync(STATE_UPDATE_LUA, 'utf8'), 1, key, ...args)) === 1;
}

export const requester = (over: Partial<{ entityName: string; metadata: Record<string, string> }> = {}) => ({
  displayName: 'token-app',
  entityName: over.entityName ?? 'app',
  metadata: over.metadata ?? {},
  policies: ['default'],
});
