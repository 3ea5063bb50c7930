import type { RedisClient } from '../redis/client.js';
import type { RedisKeys } from '../redis/keys.js';
import { unavailable } from '../errors.js';

/**
 * A counter every write of some cached configuration bumps (ACL policies, AppRole roles). It is
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
    try {
      return Number((await this.redis.get(this.key)) ?? 0);
    } catch (err) {
      throw unavailable('the token store (Redis) is unreachable', err);
    }
  }
  async bump() {
    try {
      await this.redis.incr(this.key);
    } catch (err) {
      throw unavailable('the token store (Redis) is unreachable', err);
    }
  }
}
