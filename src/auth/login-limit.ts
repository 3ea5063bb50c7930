import type { RedisClient } from '../../redis/client.js';
import type { RedisKeys } from '../../redis/keys.js';
import { runScript } from '../../redis/scripts.js';
import { rateLimited, unavailable } from '../../errors.js';

/**
 * Login throttling for password logins, checked before any hashing so a flood costs no CPU:
 * every attempt counts against the client address, failures count against the username
 * (fixed one-minute windows, shared by all replicas through Redis), and at most `maxInFlight`
 * logins of one username are checked at once, so a burst of guesses sent together (which all
 * see no failures yet) gets that many, not all of them.
 */
export interface LoginLimits {
  windowMs: number;
  perIp: number;
  failuresPerUser: number;
  maxInFlight: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 60_000, perIp: 30, failuresPerUser: 5, maxInFlight: 16 };

export interface LoginLimiter {
  /** Counts an attempt; throws 429 when the address or the user is over a limit. */
  attempt(ip: string, user: string): Promise<void>;
  /** An admitted attempt is done; `failed` when the password was wrong. */
  done(user: string, failed: boolean): Promise<void>;
}

export class RedisLoginLimiter implements LoginLimiter {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly limits = DEFAULT_LOGIN_LIMITS) {}

  private userKeys(user: string): string[] {
    return [this.keys.key('login', 'user', user), this.keys.key('login', 'inflight', user)];
  }

  async attempt(ip: string, user: string): Promise<void> {
    let over: number;
    try {
      over = await runScript<number>(
        this.redis,
        'loginLimit',
        [this.keys.key('login', 'ip', ip), ...this.userKeys(user)],
        [this.limits.windowMs, this.limits.perIp, this.limits.failuresPerUser, this.limits.maxInFlight],
      );
    } catch (err) {
      throw unavailable('the rate limiter (Redis) is unreachable', err);
    }
    if (over) throw rateLimited('too many login attempts; try again later');
  }

  async done(user: string, failed: boolean): Promise<void> {
    try {
      await runScript(this.redis, 'loginDone', this.userKeys(user), [failed ? '1' : '0', this.limits.windowMs]);
    } catch {
      // Not counting one failure is better than failing the answer; attempt() fails closed.
    }
  }
}

export class MemoryLoginLimiter implements LoginLimiter {
  private counts = new Map<string, { n: number; until: number }>();
  private inFlight = new Map<string, number>();
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
    const inFlight = this.inFlight.get(user) ?? 0;
    if (ipCount > this.limits.perIp || failures >= this.limits.failuresPerUser || inFlight >= this.limits.maxInFlight) {
      throw rateLimited('too many login attempts; try again later');
    }
    this.inFlight.set(user, inFlight + 1);
  }

  async done(user: string, failed: boolean): Promise<void> {
    const left = (this.inFlight.get(user) ?? 1) - 1;
    if (left > 0) this.inFlight.set(user, left);
    else this.inFlight.delete(user);
    if (failed) this.bump(`user:${user}`, 1);
  }
}
