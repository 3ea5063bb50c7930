import { Cluster } from 'ioredis';
import type { RedisClient } from '../redis/client.js';
import type { RedisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { orUnavailable } from '../redis/or-unavailable.js';
import { detached, GC_GRACE_MS, type CreateOutcome, type StoredToken, type TokenRecord, type TokenStore, type UseResult } from './token-store.js';

/**
 * Tokens in Redis: `token:t:<id>` hash {rec, uses, exp, renewed}, `token:a:<accessor>` → id,
 * `token:c:<id>` set of child ids, `token:exp` zset of ids by expiry (for the expiry sweep).
 */
export class RedisTokenStore implements TokenStore {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {}

  private t = (id: string) => this.keys.key('token', 't', id);
  private a = (accessor: string) => this.keys.key('token', 'a', accessor);
  private c = (id: string) => this.keys.key('token', 'c', id);
  private exp = () => this.keys.key('token', 'exp');

  private run<T>(fn: () => Promise<T>): Promise<T> {
    return orUnavailable(fn);
  }

  async create(rec: TokenRecord, expireTime: number, now: number): Promise<CreateOutcome> {
    const gcAt = expireTime > 0 ? Math.max(expireTime, rec.maxExpireTime) + GC_GRACE_MS : 0;
    const res = await this.run(() =>
      runScript<number>(
        this.redis,
        'tokenCreate',
        [this.t(rec.id), this.a(rec.accessor), this.t(rec.parent || '-'), this.c(rec.parent || '-'), this.exp()],
        [JSON.stringify(rec), rec.numUses, expireTime, gcAt, rec.id, rec.parent, now],
      ),
    );
    return res === 1 ? 'created' : res === -2 ? 'duplicate' : 'parent-gone';
  }

  async get(id: string): Promise<StoredToken | undefined> {
    const [rec, uses, exp, renewed] = await this.run(() => this.redis.hmget(this.t(id), 'rec', 'uses', 'exp', 'renewed'));
    if (!rec) return undefined;
    const stored: StoredToken = { record: JSON.parse(rec) as TokenRecord, usesLeft: Number(uses), expireTime: Number(exp) };
    if (renewed) stored.lastRenewal = Number(renewed);
    return stored;
  }

  async idByAccessor(accessor: string): Promise<string | undefined> {
    return (await this.run(() => this.redis.get(this.a(accessor)))) ?? undefined;
  }

  /**
   * SCAN over `token:a:*`, on every master under Redis Cluster: an admin's listing (Vault's
   * `auth/token/accessors`), so it costs no extra write on the token create path.
   */
  async accessors(): Promise<string[]> {
    const prefix = this.a('');
    // The install prefix is the operator's: its glob characters must match themselves.
    const match = prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    const out = new Set<string>();
    await this.run(async () => {
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
          for (const k of keys) out.add(k.slice(prefix.length));
          cursor = next;
        } while (cursor !== '0');
      }
    });
    return [...out];
  }

  async use(id: string, now: number): Promise<UseResult> {
    const r = await this.run(() => runScript<number[]>(this.redis, 'tokenUse', [this.t(id)], [now]));
    if (r[0] !== 1) return { ok: false };
    return { ok: true, last: r[1] === 1, usesLeft: r[2] };
  }

  async renew(id: string, expireTime: number, now: number): Promise<boolean> {
    const gcAt = expireTime + GC_GRACE_MS;
    const r = await this.run(() => runScript<number>(this.redis, 'tokenRenew', [this.t(id), this.exp()], [id, expireTime, gcAt, now]));
    return r === 1;
  }

  async remove(id: string): Promise<TokenRecord | undefined> {
    const rec = await this.run(() => runScript<string | null>(this.redis, 'tokenRemove', [this.t(id), this.exp()], [id]));
    if (!rec) return undefined;
    const record = JSON.parse(rec) as TokenRecord;
    await this.run(async () => {
      const pipe = this.redis.multi().del(this.a(record.accessor));
      if (record.parent) pipe.srem(this.c(record.parent), id);
      await pipe.exec();
    });
    return record;
  }

  children(id: string): Promise<string[]> {
    return this.run(() => this.redis.smembers(this.c(id)));
  }

  async dropChildren(id: string): Promise<void> {
    await this.run(() => this.redis.del(this.c(id)));
  }

  async detach(id: string, forget: string[]): Promise<boolean> {
    // Compare-and-set on the record read: two revoke-orphans cutting one subtree at different
    // heights each go round again on the other's result instead of overwriting it.
    for (;;) {
      const read = await this.run(() => this.redis.hget(this.t(id), 'rec'));
      if (!read) return false;
      const next = JSON.stringify(detached(JSON.parse(read) as TokenRecord, forget));
      const r = await this.run(() => runScript<number>(this.redis, 'tokenRewrite', [this.t(id)], [read, next]));
      if (r !== -1) return r === 1;
    }
  }

  expired(now: number, limit: number): Promise<string[]> {
    return this.run(() => this.redis.zrangebyscore(this.exp(), '-inf', now, 'LIMIT', 0, limit));
  }
}
