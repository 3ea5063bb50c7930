import type { RedisClient } from '../../redis/client.js';
import type { RedisKeys } from '../../redis/keys.js';
import { runScript } from '../../redis/scripts.js';
import { rateLimited, unavailable } from '../../errors.js';

/**
 * Login throttling for password logins, checked before any hashing so a flood costs no CPU:
 * every attempt counts against the client address, failures count against the username
 * (fixed one-minute windows, shared by all replicas through Redis).
 */
export interface LoginLimits {
  windowMs: number;
  perIp: number;
  failuresPerUser: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 60_000, perIp: 30, failuresPerUser: 5 };

export interface LoginLimiter {
  /** Counts an attempt; throws 429 when the address or the user is over its limit. */
  attempt(ip: string, user: string): Promise<void>;
  failed(user: string): Promise<void>;
}

export class RedisLoginLimiter implements LoginLimiter {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly limits = DEFAULT_LOGIN_LIMITS) {}

  async attempt(ip: string, user: string): Promise<void> {
    let over: number;
    try {
      over = await runScript<number>(
        this.redis,
        'loginLimit',
        [this.keys.key('login', 'ip', ip), this.keys.key('login', 'user', user)],
        [this.limits.windowMs, this.limits.perIp, this.limits.failuresPerUser],
      );
    } catch (err) {
      throw unavailable('the rate limiter (Redis) is unreachable', err);
    }
    if (over) throw rateLimited('too many login attempts; try again later');
  }

  async failed(user: string): Promise<void> {
    const key = this.keys.key('login', 'user', user);
    try {
      if ((await this.redis.incr(key)) === 1) await this.redis.pexpire(key, this.limits.windowMs);
    } catch {
      // Not counting one failure is better than failing the answer; attempt() fails closed.
    }
  }
}

export class MemoryLoginLimiter implements LoginLimiter {
  private counts = new Map<string, { n: number; until: number }>();
  constructor(private readonly limits = DEFAULT_LOGIN_LIMITS, private readonly now: () => number = Date.now) {}

  private bump(key: string, by: number): number {
    const t = this.now();
    let c = this.counts.get(key);
    if (!c || c.until <= t) this.counts.set(key, (c = { n: 0, until: t + this.limits.windowMs }));
    c.n += by;
    if (this.counts.size > 10_000) for (const [k, v] of this.counts) if (v.until <= t) this.counts.delete(k);
    return c.n;
  }

  async attempt(ip: string, user: string): Promise<void> {
    const ipCount = this.bump(`ip:${ip}`, 1);
    const failures = this.bump(`user:${user}`, 0);
    if (ipCount > this.limits.perIp || failures >= this.limits.failuresPerUser) throw rateLimited('too many login attempts; try again later');
  }

  async failed(user: string): Promise<void> {
    this.bump(`user:${user}`, 1);
  }
}
