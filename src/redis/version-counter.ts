import type { RedisClient } from './client.js';
import type { RedisKeys } from './keys.js';
import { orUnavailable } from './or-unavailable.js';

/**
 * A counter every write of some cached configuration bumps (ACL policies, AppRole roles, engine
 * roles and configs). It is
 * shared by all replicas (Redis in server mode, this process in `lessor dev`): a replica that
 * reads a new value drops what it cached, so a write applies to the next request everywhere.
 * Readers read it at the start of a request, next to their other first reads, so it shares
 * their socket write instead of costing a round trip of its own.
 */
export interface VersionCounter {
  get(): Promise<number>;
  bump(): Promise<void>;
}

export class MemoryVersionCounter implements VersionCounter {
  private v = 0;
  async get() {
    return this.v;
  }
  async bump() {
    this.v++;
  }
}

export class RedisVersionCounter implements VersionCounter {
  private readonly key: string;
  constructor(private readonly redis: RedisClient, keys: RedisKeys, ...name: string[]) {
    this.key = keys.key(...name);
  }
  async get() {
    return Number((await orUnavailable(() => this.redis.get(this.key))) ?? 0);
  }
  async bump() {
    await orUnavailable(() => this.redis.incr(this.key));
  }
}

/**
 * What a replica keeps while a VersionCounter stands still. A reader passes the version it read
 * at the start of its request: a different one drops everything. A value read under a version
 * another request has already moved past is handed back but not kept, so the cache never holds
 * rows older than its version.
 */
export class VersionedCache<V> {
  private readonly entries = new Map<string, V>();
  private version = -1;
  private since = 0;

  /** `maxAgeMs`: also drop everything this often (changes the counter cannot see). */
  constructor(private readonly opts: { maxEntries: number; maxAgeMs?: number }) {}

  get(version: number, key: string): V | undefined {
    const now = performance.now();
    if (version !== this.version || (this.opts.maxAgeMs !== undefined && now - this.since > this.opts.maxAgeMs)) {
      this.entries.clear();
      this.version = version;
      this.since = now;
    }
    return this.entries.get(key);
  }

  /** Without a version check: a guess that the caller confirms once its version read is in. */
  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(version: number, key: string, value: V): void {
    if (version !== this.version) return;
    if (this.entries.size >= this.opts.maxEntries) this.entries.clear();
    this.entries.set(key, value);
  }
}
