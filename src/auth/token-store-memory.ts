import { detached, type CreateOutcome, type StoredToken, type TokenRecord, type TokenStore, type UseResult } from './token-store.js';

/** `lessor dev`'s token store: the same contract as Redis, in this process only. */
export class MemoryTokenStore implements TokenStore {
  private tokens = new Map<string, StoredToken>();
  private byAccessor = new Map<string, string>();
  private kids = new Map<string, Set<string>>();

  private live(id: string, now: number): StoredToken | undefined {
    const t = this.tokens.get(id);
    if (!t || (t.expireTime > 0 && t.expireTime <= now)) return undefined;
    return t;
  }

  async create(record: TokenRecord, expireTime: number, now: number): Promise<CreateOutcome> {
    if (this.tokens.has(record.id)) return 'duplicate';
    if (record.parent) {
      if (!this.live(record.parent, now)) return 'parent-gone';
      let set = this.kids.get(record.parent);
      if (!set) this.kids.set(record.parent, (set = new Set()));
      set.add(record.id);
    }
    this.tokens.set(record.id, { record: structuredClone(record), expireTime, usesLeft: record.numUses });
    this.byAccessor.set(record.accessor, record.id);
    return 'created';
  }

  async get(id: string): Promise<StoredToken | undefined> {
    const t = this.tokens.get(id);
    return t && structuredClone(t);
  }

  async idByAccessor(accessor: string): Promise<string | undefined> {
    return this.byAccessor.get(accessor);
  }

  async accessors(): Promise<string[]> {
    return [...this.byAccessor.keys()];
  }

  async use(id: string, now: number): Promise<UseResult> {
    const t = this.live(id, now);
    if (!t || t.usesLeft < 0) return { ok: false };
    if (t.usesLeft === 0) return { ok: true, last: false, usesLeft: 0 };
    if (t.usesLeft === 1) {
      t.usesLeft = -1;
      return { ok: true, last: true, usesLeft: 0 };
    }
    t.usesLeft -= 1;
    return { ok: true, last: false, usesLeft: t.usesLeft };
  }

  async renew(id: string, expireTime: number, now: number): Promise<boolean> {
    const t = this.live(id, now);
    if (!t) return false;
    t.expireTime = expireTime;
    t.lastRenewal = now;
    return true;
  }

  async remove(id: string): Promise<TokenRecord | undefined> {
    const t = this.tokens.get(id);
    if (!t) return undefined;
    this.tokens.delete(id);
    this.byAccessor.delete(t.record.accessor);
    if (t.record.parent) this.kids.get(t.record.parent)?.delete(id);
    return t.record;
  }

  async children(id: string): Promise<string[]> {
    return [...(this.kids.get(id) ?? [])];
  }

  async dropChildren(id: string): Promise<void> {
    this.kids.delete(id);
  }

  async detach(id: string, forget: string[]): Promise<boolean> {
    const t = this.tokens.get(id);
    if (!t) return false;
    t.record = detached(t.record, forget);
    return true;
  }

  async expired(now: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const [id, t] of this.tokens) {
      if (t.expireTime > 0 && t.expireTime <= now) out.push(id);
      if (out.length >= limit) break;
    }
    return out;
  }
}
