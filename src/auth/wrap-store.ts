import type { RedisClient } from '../redis/client.js';
import type { RedisKeys } from '../redis/keys.js';
import { orUnavailable } from '../redis/or-unavailable.js';

/** Wrapped responses, sealed, by wrapping-token id; `take` hands one out at most once. */
export interface WrapStore {
  put(id: string, sealed: string, ttlMs: number): Promise<void>;
  take(id: string): Promise<string | undefined>;
  has(id: string): Promise<boolean>;
}

/** `wrap:<token id>` strings with the wrapping token's TTL; GETDEL makes two unwraps race to one winner. */
export class RedisWrapStore implements WrapStore {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {}
  private k = (id: string) => this.keys.key('wrap', id);

  private run<T>(fn: () => Promise<T>): Promise<T> {
    return orUnavailable(fn);
  }
  async put(id: string, sealed: string, ttlMs: number): Promise<void> {
    await this.run(() => this.redis.set(this.k(id), sealed, 'PX', Math.max(1, Math.round(ttlMs))));
  }
  async take(id: string): Promise<string | undefined> {
    return (await this.run(() => this.redis.getdel(this.k(id)))) ?? undefined;
  }
  async has(id: string): Promise<boolean> {
    return (await this.run(() => this.redis.exists(this.k(id)))) === 1;
  }
}

/** `lessor dev`: in this process, gone when it stops (as its tokens are). */
export class MemoryWrapStore implements WrapStore {
  private readonly entries = new Map<string, { sealed: string; until: number }>();
  constructor(private readonly now: () => number = Date.now) {}
  async put(id: string, sealed: string, ttlMs: number): Promise<void> {
    this.entries.set(id, { sealed, until: this.now() + ttlMs });
  }
  async take(id: string): Promise<string | undefined> {
    const e = this.entries.get(id);
    this.entries.delete(id);
    return e && e.until > this.now() ? e.sealed : undefined;
  }
  async has(id: string): Promise<boolean> {
    const e = this.entries.get(id);
    return e !== undefined && e.until > this.now();
  }
}
