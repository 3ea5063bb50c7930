import type { RedisClient } from '../redis/client.js';
import type { RedisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import {
  countField, RECORD_GC_MS,
  type FailKind, type FailOutcome, type LeaseIntent, type LeaseRecord, type LeaseStore, type RenewOutcome, type TakeOutcome,
} from './lease-store.js';

const RENEW_OUTCOMES: Record<number, RenewOutcome> = { 1: 'ok', [-1]: 'not_found', [-2]: 'not_active', [-3]: 'expired', [-4]: 'revoking', [-5]: 'busy', [-6]: 'lost' };
const TAKE_OUTCOMES: Record<number, TakeOutcome> = { 1: 'taken', 0: 'renewed', [-1]: 'gone', [-2]: 'held' };

/**
 * The production lease store. Layout (every key under the install's `{prefix}` hash tag, so the
 * multi-key scripts work on Redis Cluster):
 *   lease:<id>            hash: json (the immutable intent), state, expire, renewed, attempts, error, internal,
 *                         renewing + renew_until (a renewal's hold on the lease)
 *   leases:due            zset id → when the reaper should act (expiry, retry, claim deadline)
 *   leases:all            zset id (score 0, lexicographic): prefix listing and revoke-prefix
 *   leases:revoking       set of ids whose revocation was asked for
 *   leases:irrevocable    zset id → when it turned irrevocable
 *   leases:count          hash "mount|role" → live leases (metrics)
 *   leases:token:<id>     set of lease ids issued to the token or its descendants (cascade)
 *   jobs:due              zset "mount|plugin|jobId" → due time
 *   targets:down          hash "mount|config" → when it was first seen unreachable
 *   targets:waiting:<t>   zset lease id → retry time, revocations parked on an unreachable target
 *   creds:owned:<t>       set of credential ids the config issued and has not finished revoking
 *   engine:<mount>:<key>  engine state (JSON strings)
 */
export class RedisLeaseStore implements LeaseStore {
  readonly kind = 'redis' as const;
  private readonly due: string;
  private readonly all: string;
  private readonly revoking: string;
  private readonly irrevocable: string;
  private readonly countKey: string;
  private readonly jobs: string;

  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {
    this.due = keys.key('leases', 'due');
    this.all = keys.key('leases', 'all');
    this.revoking = keys.key('leases', 'revoking');
    this.irrevocable = keys.key('leases', 'irrevocable');
    this.countKey = keys.key('leases', 'count');
    this.jobs = keys.key('jobs', 'due');
  }

  private rec(id: string) {
    return this.keys.key('lease', id);
  }
  private tokenIndex(tokenId: string) {
    return this.keys.key('leases', 'token', tokenId);
  }
  private get downKey() {
    return this.keys.key('targets', 'down');
  }
  private waitingKey(target: string) {
    return this.keys.key('targets', 'waiting', target);
  }

  async create(intent: LeaseIntent, state: 'pending' | 'active', now: number): Promise<void> {
    const keepMs = Math.max(1, intent.maxExpireTime - now) + RECORD_GC_MS;
    // Ancestors' indexes first: an index entry without a record is skipped by readers, a record
    // missing from an index would escape the cascade.
    if (intent.ancestors.length > 0) {
      await Promise.all(intent.ancestors.map((a) => runScript(this.redis, 'leaseIndex', [this.tokenIndex(a)], [intent.id, keepMs])));
    }
    const res = await runScript<number>(this.redis, 'leaseCreate',
      [this.rec(intent.id), this.due, this.all, this.countKey, this.tokenIndex(intent.tokenId)],
      [intent.id, JSON.stringify(intent), state, intent.expireTime, countField(intent), keepMs]);
    if (res === -1) throw new Error(`lease ${intent.id} already exists`);
  }

  async activate(id: string, internal: string | undefined): Promise<boolean> {
    return (await runScript<number>(this.redis, 'leaseActivate', [this.rec(id), this.revoking], [internal ?? '', id])) === 1;
  }

  async get(id: string): Promise<LeaseRecord | undefined> {
    // Two plain commands rather than an explicit pipeline: issued in one tick they join the
    // client's auto-pipeline, sharing one socket write with every other request's commands
    // (an explicit pipeline is a write of its own; on renewals that write was ~10% of the CPU).
    const [h, revoking] = await Promise.all([this.redis.hgetall(this.rec(id)), this.redis.sismember(this.revoking, id)]);
    return decode(h, revoking === 1);
  }

  async getMany(ids: string[]): Promise<Array<LeaseRecord | undefined>> {
    if (ids.length === 0) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.rec(id));
    p.smismember(this.revoking, ...ids);
    const res = (await p.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    const revoking = res[ids.length][1] as number[];
    return ids.map((_, i) => decode(res[i][1] as Record<string, string>, revoking[i] === 1));
  }

  async renewBegin(id: string, now: number, holdUntil: number, token: string): Promise<RenewOutcome> {
    return RENEW_OUTCOMES[await runScript<number>(this.redis, 'leaseRenewBegin', [this.rec(id), this.due, this.revoking], [id, now, holdUntil, token])];
  }

  async renewCommit(id: string, token: string, now: number, newExpire: number): Promise<RenewOutcome> {
    return RENEW_OUTCOMES[await runScript<number>(this.redis, 'leaseRenewCommit', [this.rec(id), this.due, this.revoking], [id, token, now, newExpire])];
  }

  async renewAbort(id: string, token: string, holdUntil: number): Promise<void> {
    await runScript(this.redis, 'leaseRenewAbort', [this.rec(id), this.due, this.revoking], [id, token, holdUntil]);
  }

  async take(id: string, now: number): Promise<TakeOutcome> {
    return TAKE_OUTCOMES[await runScript<number>(this.redis, 'leaseTake', [this.rec(id), this.due, this.revoking], [id, now])];
  }

  async markRevoking(id: string, now: number, dueAt: number): Promise<boolean> {
    const r = await runScript<number>(this.redis, 'leaseRevoke', [this.rec(id), this.due, this.revoking, this.irrevocable], [id, now, dueAt]);
    return r === 1;
  }

  claimDue(now: number, claimUntil: number, limit: number): Promise<string[]> {
    return runScript<string[]>(this.redis, 'leaseClaim', [this.due], [now, claimUntil, limit]);
  }

  async remove(id: string): Promise<boolean> {
    const r = await runScript<number>(this.redis, 'leaseRemove',
      [this.rec(id), this.due, this.all, this.countKey, this.irrevocable, this.revoking], [id]);
    return r === 1;
  }

  async fail(id: string, now: number, nextAttempt: number, maxAttempts: number, error: string, kind: FailKind): Promise<FailOutcome> {
    const [attempts, flag] = await runScript<[number, number]>(this.redis, 'leaseFail',
      [this.rec(id), this.due, this.irrevocable, this.revoking],
      [id, now, nextAttempt, maxAttempts, error.slice(0, 500), kind]);
    return { attempts, irrevocable: flag === 1, gone: flag === -1 };
  }

  listPrefix(prefix: string, limit?: number): Promise<string[]> {
    if (limit !== undefined) return this.redis.zrangebylex(this.all, `[${prefix}`, `[${prefix}\xff`, 'LIMIT', 0, limit);
    return this.redis.zrangebylex(this.all, `[${prefix}`, `[${prefix}\xff`);
  }

  async revokePrefix(prefix: string, now: number): Promise<number> {
    // Slices of 2,000 keep each script call to a few milliseconds, so other clients are not
    // blocked behind a 100,000-lease prefix.
    let start = `[${prefix}`;
    let total = 0;
    for (;;) {
      const [n, last] = await runScript<[number, string]>(this.redis, 'leaseRevokePrefix',
        [this.all, this.due, this.revoking], [start, `[${prefix}\xff`, now, 2000]);
      total += n;
      if (!last) return total;
      start = `(${last}`;
    }
  }

  async byTokens(tokenIds: string[]): Promise<string[]> {
    if (tokenIds.length === 0) return [];
    return this.redis.sunion(...tokenIds.map((t) => this.tokenIndex(t)));
  }

  async unindex(of: string[], from: string[]): Promise<void> {
    if (of.length === 0 || from.length === 0) return;
    const moving = await this.byTokens(of);
    for (let i = 0; i < moving.length; i += 1000) {
      const slice = moving.slice(i, i + 1000);
      await Promise.all(from.map((t) => this.redis.srem(this.tokenIndex(t), ...slice)));
    }
  }

  listIrrevocable(): Promise<string[]> {
    return this.redis.zrange(this.irrevocable, '0', '-1');
  }

  async counts(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.countKey);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }

  irrevocableCount(): Promise<number> {
    return this.redis.zcard(this.irrevocable);
  }

  async oldestDue(): Promise<number | undefined> {
    const r = await this.redis.zrange(this.due, '0', '0', 'WITHSCORES');
    return r.length === 2 ? Number(r[1]) : undefined;
  }

  async targetDown(target: string, leaseId: string, retryAt: number, now: number): Promise<void> {
    await runScript(this.redis, 'targetDown', [this.downKey, this.waitingKey(target)], [target, leaseId, retryAt, now, WAITING_GC_MS]);
  }
  async downTargets(): Promise<Map<string, number>> {
    const raw = await this.redis.hgetall(this.downKey);
    return new Map(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
  async releaseTarget(target: string, now: number): Promise<number> {
    // Slices keep each script call short however many leases waited.
    let total = 0;
    for (;;) {
      const [moved, left] = await runScript<[number, number]>(this.redis, 'targetRelease',
        [this.downKey, this.waitingKey(target), this.due], [target, now, 1000]);
      total += moved;
      if (left === 0) return total;
    }
  }

  async ownedAdd(target: string, credentialId: string): Promise<void> {
    await this.redis.sadd(this.keys.key('creds', 'owned', target), credentialId);
  }
  async ownedRemove(target: string, credentialId: string): Promise<void> {
    await this.redis.srem(this.keys.key('creds', 'owned', target), credentialId);
  }
  ownedList(target: string): Promise<string[]> {
    return this.redis.smembers(this.keys.key('creds', 'owned', target));
  }

  async scheduleJob(member: string, dueAt: number): Promise<void> {
    await this.redis.zadd(this.jobs, String(dueAt), member);
  }
  async unscheduleJob(member: string): Promise<void> {
    await this.redis.zrem(this.jobs, member);
  }
  claimJobs(now: number, claimUntil: number, limit: number): Promise<string[]> {
    return runScript<string[]>(this.redis, 'jobClaim', [this.jobs], [now, claimUntil, limit]);
  }
  async jobDone(member: string, claimedUntil: number): Promise<void> {
    await runScript(this.redis, 'jobDone', [this.jobs], [member, claimedUntil]);
  }

  async stateGet(mount: string, key: string): Promise<unknown> {
    const v = await this.redis.get(this.keys.key('engine', mount, key));
    return v === null ? undefined : JSON.parse(v);
  }
  async stateSet(mount: string, key: string, value: unknown, ttlMs?: number): Promise<void> {
    const k = this.keys.key('engine', mount, key);
    if (ttlMs) await this.redis.set(k, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs)));
    else await this.redis.set(k, JSON.stringify(value));
  }
  async stateUpdate(mount: string, key: string, fields: Record<string, unknown>, ttlMs?: number): Promise<boolean> {
    const args: (string | number)[] = [ttlMs ? Math.max(1, Math.round(ttlMs)) : 0];
    for (const [field, value] of Object.entries(fields)) {
      if (value !== undefined) args.push(JSON.stringify(field), JSON.stringify(value));
    }
    return (await runScript<number>(this.redis, 'stateUpdate', [this.keys.key('engine', mount, key)], args)) === 1;
  }
  async stateDel(mount: string, key: string): Promise<void> {
    await this.redis.del(this.keys.key('engine', mount, key));
  }
}

/** A target that stays down keeps its parked revocations this long (they also retry on their own). */
const WAITING_GC_MS = 2 * 24 * 3600 * 1000;

function decode(h: Record<string, string> | null, revoking: boolean): LeaseRecord | undefined {
  if (!h || !h.json) return undefined;
  const intent = JSON.parse(h.json) as LeaseIntent;
  return {
    ...intent,
    state: h.state as LeaseRecord['state'],
    revoking,
    expireTime: Number(h.expire),
    lastRenewal: h.renewed ? Number(h.renewed) : undefined,
    internal: h.internal || undefined,
    attempts: Number(h.attempts || 0),
    lastError: h.error || undefined,
  };
}
