import type { RedisClient } from '../../redis/client.js';
import type { RedisKeys } from '../../redis/keys.js';
import { runScript } from '../../redis/scripts.js';
import { orUnavailable } from '../../redis/or-unavailable.js';

/**
 * AppRole secret IDs by their keyed hash (HMAC-SHA256 under a sealed per-install key): Redis
 * in server mode, a Map in `lessor dev`. Taking a use is atomic, so a one-use secret ID raced
 * by twenty logins yields exactly one token.
 */
export interface SecretIdRecord {
  role: string;
  accessor: string;
  /** Uses granted; 0 = unlimited. */
  numUses: number;
  cidrs: string[];
  metadata: Record<string, string>;
  creationTime: number;
  /** ms since epoch; 0 = never. */
  expireTime: number;
}

export interface SecretIdStore {
  /** Registers a secret ID; false (and nothing written) when its hash is already registered. */
  put(hash: string, rec: SecretIdRecord): Promise<boolean>;
  get(hash: string): Promise<(SecretIdRecord & { usesLeft: number }) | undefined>;
  /** Takes one use; false when gone (missing, expired, used up, other role). */
  consume(hash: string, accessor: string, role: string, now: number): Promise<boolean>;
  hashByAccessor(accessor: string): Promise<string | undefined>;
  accessors(role: string): Promise<string[]>;
  remove(hash: string): Promise<void>;
}

const GRACE_MS = 60_000;

export class RedisSecretIdStore implements SecretIdStore {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {}
  private s = (hash: string) => this.keys.key('approle', 's', hash);
  private a = (accessor: string) => this.keys.key('approle', 'a', accessor);
  private r = (role: string) => this.keys.key('approle', 'r', role);

  private run<T>(fn: () => Promise<T>): Promise<T> {
    return orUnavailable(fn);
  }

  async put(hash: string, rec: SecretIdRecord): Promise<boolean> {
    const gcAt = rec.expireTime > 0 ? rec.expireTime + GRACE_MS : 0;
    const r = await this.run(() => runScript<number>(this.redis, 'approleSecretPut', [this.s(hash), this.a(rec.accessor), this.r(rec.role)],
      [JSON.stringify(rec), rec.role, rec.numUses, rec.expireTime, hash, rec.accessor, gcAt]));
    return r === 1;
  }

  async get(hash: string) {
    const [rec, uses] = await this.run(() => this.redis.hmget(this.s(hash), 'rec', 'uses'));
    if (!rec) return undefined;
    return { ...(JSON.parse(rec) as SecretIdRecord), usesLeft: Number(uses) };
  }

  async consume(hash: string, accessor: string, role: string, now: number): Promise<boolean> {
    return (await this.run(() => runScript<number>(this.redis, 'approleConsume', [this.s(hash), this.a(accessor)], [role, now]))) === 1;
  }

  async hashByAccessor(accessor: string) {
    return (await this.run(() => this.redis.get(this.a(accessor)))) ?? undefined;
  }

  async accessors(role: string): Promise<string[]> {
    const all = await this.run(() => this.redis.smembers(this.r(role)));
    // Expired secret IDs vanish by key TTL; forget their accessors lazily here.
    const live = await this.run(() => Promise.all(all.map((a) => this.redis.exists(this.a(a)))));
    const gone = all.filter((_, i) => live[i] === 0);
    if (gone.length) await this.run(() => this.redis.srem(this.r(role), ...gone));
    return all.filter((_, i) => live[i] === 1).sort();
  }

  async remove(hash: string): Promise<void> {
    const rec = await this.get(hash);
    await this.run(async () => {
      const m = this.redis.multi().del(this.s(hash));
      if (rec) m.del(this.a(rec.accessor)).srem(this.r(rec.role), rec.accessor);
      await m.exec();
    });
  }
}

export class MemorySecretIdStore implements SecretIdStore {
  private items = new Map<string, SecretIdRecord & { usesLeft: number }>();
  private byAccessor = new Map<string, string>();

  async put(hash: string, rec: SecretIdRecord) {
    if (this.items.has(hash)) return false;
    this.items.set(hash, { ...structuredClone(rec), usesLeft: rec.numUses });
    this.byAccessor.set(rec.accessor, hash);
    return true;
  }
  async get(hash: string) {
    const r = this.items.get(hash);
    return r && structuredClone(r);
  }
  async consume(hash: string, _accessor: string, role: string, now: number) {
    const r = this.items.get(hash);
    if (!r || r.role !== role || (r.expireTime > 0 && r.expireTime <= now)) return false;
    if (r.usesLeft === 0) return true;
    r.usesLeft -= 1;
    if (r.usesLeft === 0) await this.remove(hash);
    return true;
  }
  async hashByAccessor(accessor: string) {
    return this.byAccessor.get(accessor);
  }
  async accessors(role: string) {
    const now = Date.now();
    return [...this.items.values()].filter((r) => r.role === role && (r.expireTime === 0 || r.expireTime > now)).map((r) => r.accessor).sort();
  }
  async remove(hash: string) {
    const r = this.items.get(hash);
    if (r) this.byAccessor.delete(r.accessor);
    this.items.delete(hash);
  }
}
