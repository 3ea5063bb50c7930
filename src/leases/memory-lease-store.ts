import {
  countField,
  type FailKind, type FailOutcome, type LeaseIntent, type LeaseRecord, type LeaseStore, type RenewOutcome, type TakeOutcome,
} from './lease-store.js';

/**
 * The lease store of `lessor dev` only: one process, nothing survives a restart. Same contract as
 * the Redis store (test/leases/lease-store-contract.ts); linear scans are fine at dev sizes.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly kind = 'memory' as const;
  private readonly leases = new Map<string, LeaseRecord>();
  private readonly due = new Map<string, number>();
  private readonly irrevocable = new Map<string, number>();
  /** A renewal's hold on a lease (see LeaseStore.renewBegin). */
  private readonly holds = new Map<string, { token: string; until: number }>();
  private readonly tokenIndex = new Map<string, Set<string>>();
  private readonly jobs = new Map<string, number>();
  private readonly state = new Map<string, { value: string; until?: number }>();
  private readonly down = new Map<string, number>();
  private readonly waiting = new Map<string, Map<string, number>>();
  private readonly owned = new Map<string, Set<string>>();

  constructor(private readonly clock: () => number = Date.now) {}

  async create(intent: LeaseIntent, state: 'pending' | 'active'): Promise<void> {
    if (this.leases.has(intent.id)) throw new Error(`lease ${intent.id} already exists`);
    this.leases.set(intent.id, { ...structuredClone(intent), state, revoking: false, attempts: 0 });
    this.due.set(intent.id, intent.expireTime);
    for (const t of [intent.tokenId, ...intent.ancestors]) {
      let s = this.tokenIndex.get(t);
      if (!s) this.tokenIndex.set(t, (s = new Set()));
      s.add(intent.id);
    }
  }

  async activate(id: string, internal: string | undefined): Promise<boolean> {
    const l = this.leases.get(id);
    if (!l || l.state !== 'pending') return false;
    l.internal = internal;
    if (l.revoking) return false;
    l.state = 'active';
    return true;
  }

  async get(id: string): Promise<LeaseRecord | undefined> {
    const l = this.leases.get(id);
    return l ? structuredClone(l) : undefined;
  }

  async getMany(ids: string[]): Promise<Array<LeaseRecord | undefined>> {
    return Promise.all(ids.map((id) => this.get(id)));
  }

  async renewBegin(id: string, now: number, holdUntil: number, token: string): Promise<RenewOutcome> {
    const l = this.leases.get(id);
    if (!l) return 'not_found';
    if (l.expireTime <= now) return 'expired';
    if (l.revoking) return 'revoking';
    if (l.state !== 'active') return 'not_active';
    if ((this.holds.get(id)?.until ?? 0) > now) return 'busy';
    this.holds.set(id, { token, until: holdUntil });
    return 'ok';
  }

  async renewCommit(id: string, token: string, now: number, newExpire: number): Promise<RenewOutcome> {
    const l = this.leases.get(id);
    if (!l) return 'not_found';
    if (this.holds.get(id)?.token !== token) return 'lost';
    this.holds.delete(id);
    if (l.revoking) return 'revoking';
    l.expireTime = newExpire;
    l.lastRenewal = now;
    this.due.set(id, newExpire);
    return 'ok';
  }

  async renewAbort(id: string, token: string, holdUntil: number): Promise<void> {
    const l = this.leases.get(id);
    if (!l || this.holds.get(id)?.token !== token) return;
    this.holds.delete(id);
    if (!l.revoking && this.due.get(id) === holdUntil) this.due.set(id, l.expireTime);
  }

  async take(id: string, now: number): Promise<TakeOutcome> {
    const l = this.leases.get(id);
    if (!l) return 'gone';
    if (l.revoking) return 'taken';
    if (l.state === 'active') {
      const held = this.holds.get(id)?.until ?? 0;
      if (held > now) {
        this.due.set(id, held);
        return 'held';
      }
      if (l.expireTime > now) {
        this.due.set(id, l.expireTime);
        return 'renewed';
      }
    }
    l.revoking = true;
    return 'taken';
  }

  async markRevoking(id: string, _now: number, dueAt: number): Promise<boolean> {
    const l = this.leases.get(id);
    if (!l) return false;
    if (l.state === 'irrevocable') {
      l.state = 'active';
      l.attempts = 0;
      this.irrevocable.delete(id);
    }
    l.revoking = true;
    this.due.set(id, dueAt);
    return true;
  }

  async claimDue(now: number, claimUntil: number, limit: number): Promise<string[]> {
    const ids = [...this.due].filter(([, s]) => s <= now).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit).map(([id]) => id);
    for (const id of ids) this.due.set(id, claimUntil);
    return ids;
  }

  async remove(id: string): Promise<boolean> {
    const existed = this.leases.delete(id);
    this.holds.delete(id);
    this.due.delete(id);
    this.irrevocable.delete(id);
    for (const s of this.tokenIndex.values()) s.delete(id);
    return existed;
  }

  async fail(id: string, now: number, nextAttempt: number, maxAttempts: number, error: string, kind: FailKind): Promise<FailOutcome> {
    const l = this.leases.get(id);
    if (!l) return { attempts: 0, irrevocable: false, gone: true };
    if (kind !== 'extra') l.attempts += 1;
    l.lastError = error.slice(0, 500);
    if (kind === 'final' || (kind === 'attempt' && l.attempts >= maxAttempts)) {
      l.state = 'irrevocable';
      l.revoking = false;
      this.due.delete(id);
      this.irrevocable.set(id, now);
      return { attempts: l.attempts, irrevocable: true, gone: false };
    }
    this.due.set(id, nextAttempt);
    return { attempts: l.attempts, irrevocable: false, gone: false };
  }

  async listPrefix(prefix: string, limit?: number): Promise<string[]> {
    const ids = [...this.leases.keys()].filter((id) => id.startsWith(prefix)).sort();
    return limit === undefined ? ids : ids.slice(0, limit);
  }

  async revokePrefix(prefix: string, now: number): Promise<number> {
    let n = 0;
    for (const [id, l] of this.leases) {
      if (!id.startsWith(prefix) || l.revoking || !this.due.has(id)) continue;
      l.revoking = true;
      this.due.set(id, Math.min(now, this.due.get(id)!));
      n++;
    }
    return n;
  }

  async byTokens(tokenIds: string[]): Promise<string[]> {
    const out = new Set<string>();
    for (const t of tokenIds) for (const id of this.tokenIndex.get(t) ?? []) out.add(id);
    return [...out];
  }

  async unindex(of: string[], from: string[]): Promise<void> {
    const moving = await this.byTokens(of);
    for (const t of from) for (const id of moving) this.tokenIndex.get(t)?.delete(id);
  }

  async listIrrevocable(): Promise<string[]> {
    return [...this.irrevocable].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  async counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const l of this.leases.values()) out[countField(l)] = (out[countField(l)] ?? 0) + 1;
    return out;
  }

  async irrevocableCount(): Promise<number> {
    return this.irrevocable.size;
  }

  async oldestDue(): Promise<number | undefined> {
    let min: number | undefined;
    for (const s of this.due.values()) if (min === undefined || s < min) min = s;
    return min;
  }

  async targetDown(target: string, leaseId: string, retryAt: number, now: number): Promise<void> {
    if (!this.down.has(target)) this.down.set(target, now);
    let w = this.waiting.get(target);
    if (!w) this.waiting.set(target, (w = new Map()));
    w.set(leaseId, retryAt);
  }
  async downTargets(): Promise<Map<string, number>> {
    return new Map(this.down);
  }
  async releaseTarget(target: string, now: number): Promise<number> {
    let moved = 0;
    // Only a lease still due at the retry it was given: a claimed or finished one is left alone.
    for (const [id, retryAt] of this.waiting.get(target) ?? []) {
      if (this.due.get(id) === retryAt && retryAt > now) {
        this.due.set(id, now);
        moved++;
      }
    }
    this.waiting.delete(target);
    this.down.delete(target);
    return moved;
  }

  async ownedAdd(target: string, credentialId: string): Promise<void> {
    let s = this.owned.get(target);
    if (!s) this.owned.set(target, (s = new Set()));
    s.add(credentialId);
  }
  async ownedRemove(target: string, credentialId: string): Promise<void> {
    this.owned.get(target)?.delete(credentialId);
  }
  async ownedList(target: string): Promise<string[]> {
    return [...(this.owned.get(target) ?? [])];
  }

  async scheduleJob(member: string, dueAt: number): Promise<void> {
    this.jobs.set(member, dueAt);
  }
  async unscheduleJob(member: string): Promise<void> {
    this.jobs.delete(member);
  }
  async claimJobs(now: number, claimUntil: number, limit: number): Promise<string[]> {
    const ids = [...this.jobs].filter(([, s]) => s <= now).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([m]) => m);
    for (const m of ids) this.jobs.set(m, claimUntil);
    return ids;
  }
  async jobDone(member: string, claimedUntil: number): Promise<void> {
    if (this.jobs.get(member) === claimedUntil) this.jobs.delete(member);
  }

  async stateGet(mount: string, key: string): Promise<unknown> {
    const e = this.state.get(`${mount}:${key}`);
    if (!e || (e.until !== undefined && e.until <= this.clock())) return undefined;
    return JSON.parse(e.value);
  }
  async stateSet(mount: string, key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.state.set(`${mount}:${key}`, { value: JSON.stringify(value), until: ttlMs ? this.clock() + ttlMs : undefined });
  }
  async stateUpdate(mount: string, key: string, fields: Record<string, unknown>, ttlMs?: number): Promise<boolean> {
    const k = `${mount}:${key}`;
    const e = this.state.get(k);
    if (!e || (e.until !== undefined && e.until <= this.clock())) return false;
    const value = JSON.parse(e.value) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('engine state entry is not a JSON object');
    for (const [field, v] of Object.entries(fields)) if (v !== undefined) (value as Record<string, unknown>)[field] = v;
    this.state.set(k, { value: JSON.stringify(value), until: ttlMs ? this.clock() + ttlMs : e.until });
    return true;
  }
  async stateDel(mount: string, key: string): Promise<void> {
    this.state.delete(`${mount}:${key}`);
  }
}
