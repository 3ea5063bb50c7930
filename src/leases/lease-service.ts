import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessControl, RequestIdentity } from '../auth/access.js';
import type { Sealer } from '../crypto/sealer.js';
import { toHttpError } from '../engines/engine-errors.js';
import { badRequest, LessorError, permissionDenied } from '../errors.js';
import { newLeaseId } from './lease-ids.js';
import type { LeaseMetrics } from './lease-metrics.js';
import { withTimeout, type LeaseEngines, type LeaseRevoker } from './lease-revoker.js';
import type { LeaseIntent, LeaseRecord, LeaseStore, RenewOutcome } from './lease-store.js';

export interface Caller {
  identity: RequestIdentity;
  /** The request's policy path: where a `sudo` grant lets a token act on others' leases. */
  path: string;
  /** The request is a LIST: its path is matched as Vault matches a LIST's. */
  list?: boolean;
}

export interface IssueRequest {
  identity: RequestIdentity;
  mount: string;
  credsPath: string;
  plugin: string;
  config: string;
  roleName: string;
  role: Record<string, unknown>;
  /** Seconds; the service applies its defaults when absent. */
  ttl?: number;
  maxTtl?: number;
  /** The engine's pure credentialId for this lease id (intent first: known before creation). */
  credentialId(leaseId: string, now: number): string;
  /** Creates the credential; runs only after the pending lease is stored. */
  create(req: { leaseId: string; credentialId: string; expiresAt: number; maxExpiresAt: number }): Promise<{ data: Record<string, unknown>; internal?: Record<string, unknown> }>;
}

export interface Issued {
  leaseId: string;
  leaseDuration: number;
  renewable: boolean;
  data: Record<string, unknown>;
}

export interface Renewed {
  leaseId: string;
  leaseDuration: number;
  renewable: boolean;
  warnings: string[];
}

export interface LeaseServiceOptions {
  /**
   * TTL and max TTL (seconds) for roles that set none. The max is Vault's system default (768 h)
   * so a role's own max_ttl is never cut short; the default TTL is 1 h rather than Vault's 768 h,
   * as a credential nobody renews should not outlive its user by a month.
   */
  defaultTtl: number;
  maxTtl: number;
  /** How long a replica's claim on a lease it is revoking holds (ms). */
  claimTimeoutMs: number;
  /**
   * How long a renewal holds its lease (ms); its engine call is given half. Short, as a renewal
   * that dies holding a lease that has expired delays its revocation by up to this.
   */
  renewHoldMs: number;
}

export const DEFAULT_LEASE_OPTIONS: LeaseServiceOptions = { defaultTtl: 3600, maxTtl: 768 * 3600, claimTimeoutMs: 60_000, renewHoldMs: 10_000 };

export const internalAad = (leaseId: string) => `lease:${leaseId}`;

/** A renewal the store refused: why, as the client is told it (nothing was changed). */
function refuseRenewal(outcome: RenewOutcome, id: string): void {
  switch (outcome) {
    case 'ok': return;
    case 'expired': throw badRequest(`lease ${id} has expired and cannot be renewed`);
    case 'revoking': throw badRequest(`lease ${id} is being revoked and cannot be renewed`);
    case 'not_active': throw badRequest(`lease ${id} is not active and cannot be renewed`);
    case 'busy':
    case 'lost': throw new LessorError('CONFLICT', `lease ${id} is being renewed by another request; try again`);
    default: throw badRequest(`lease not found: ${id} has expired or was revoked`);
  }
}

/** Issue, renew, look up and revoke leases; ownership is checked here, not in the routes. */
export class LeaseService {
  constructor(
    private readonly deps: {
      store: LeaseStore;
      revoker: LeaseRevoker;
      engines: () => LeaseEngines;
      sealer: Sealer;
      access: () => AccessControl;
      /**
       * A live token's current ancestors, undefined once it is gone: revoke-orphan rewrites
       * them, and an issue checks its token survived until its lease was indexed.
       */
      tokenAncestors?: (tokenId: string) => Promise<string[] | undefined>;
      clock: () => number;
      log: Logger;
      metrics: LeaseMetrics;
      options: LeaseServiceOptions;
    },
  ) {}

  get store(): LeaseStore {
    return this.deps.store;
  }

  /** Seconds: what a lease gets when its role sets no TTL, and the cap (sys/mounts/…/tune). */
  get ttls(): { defaultTtl: number; maxTtl: number } {
    return { defaultTtl: this.deps.options.defaultTtl, maxTtl: this.deps.options.maxTtl };
  }

  async issue(req: IssueRequest): Promise<Issued> {
    const { store, sealer, clock, log, metrics, options } = this.deps;
    const now = clock();
    const maxTtl = Math.min(req.maxTtl ?? options.maxTtl, options.maxTtl) || options.maxTtl;
    const ttl = Math.min(req.ttl || options.defaultTtl, maxTtl);
    const id = newLeaseId(req.mount, req.credsPath, req.roleName);
    const intent: LeaseIntent = {
      id, mount: req.mount, plugin: req.plugin, config: req.config, roleName: req.roleName, role: req.role,
      credentialId: req.credentialId(id, now),
      tokenId: req.identity.tokenId, ancestors: req.identity.ancestors,
      issueTime: now, expireTime: now + ttl * 1000, maxExpireTime: now + maxTtl * 1000, ttl,
    };
    // Intent first: the revocation record exists before the credential does.
    await store.create(intent, 'pending', now);
    let created: Awaited<ReturnType<IssueRequest['create']>>;
    try {
      created = await req.create({ leaseId: id, credentialId: intent.credentialId, expiresAt: intent.expireTime, maxExpiresAt: intent.maxExpireTime });
    } catch (err) {
      // Whatever the engine did before failing is undone like any lease (delete is idempotent).
      await this.revokeNow(id).catch(() => {});
      throw err;
    }
    const internal = created.internal ? await sealer.seal(Buffer.from(JSON.stringify(created.internal)), internalAad(id)) : undefined;
    const activated = await store.activate(id, internal);
    // A token revoked between this request's authentication and the lease's index entry ran
    // its cascade without this lease; its record, read after that entry was written, tells
    // (a revocation removes the token before its cascade reads the indexes).
    if (!activated || !(await this.tokenLive(intent.tokenId))) {
      // Revoked while being created (its token was revoked, a revoke-prefix): a reaper may have
      // run the revocation before the credential existed, so this request revokes what it just
      // created, from what it knows rather than from a record the reaper may be removing.
      const lease: LeaseRecord = { ...intent, state: activated ? 'active' : 'pending', revoking: true, internal, attempts: 0 };
      await this.revokeHolding(lease, intent).catch(() => {});
      throw new LessorError('CONFLICT', 'the lease was revoked while it was being issued');
    }
    metrics.issued.inc({ mount: req.mount });
    log.info({ leaseId: id, role: req.roleName, ttl, accessor: req.identity.accessor }, 'lease issued');
    return { leaseId: id, leaseDuration: ttl, renewable: intent.expireTime < intent.maxExpireTime, data: created.data };
  }

  /** Revokes one lease now, holding the claim; the reaper retries it if this fails. */
  private async revokeNow(id: string, failed?: (err: unknown) => void): Promise<'revoked' | 'retry' | 'irrevocable'> {
    const now = this.deps.clock();
    if (!(await this.deps.store.markRevoking(id, now, now + this.deps.options.claimTimeoutMs))) return 'revoked';
    const lease = await this.deps.store.get(id);
    if (!lease) return 'revoked';
    // A lease that already failed is on the reaper's schedule: this try is an extra one.
    return this.deps.revoker.revoke(lease, failed, lease.attempts > 0);
  }

  private async tokenLive(tokenId: string): Promise<boolean> {
    const lookup = this.deps.tokenAncestors;
    return !lookup || (await lookup(tokenId)) !== undefined;
  }

  /**
   * Revokes a lease this replica knows, holding the claim. A record a reaper removed meanwhile
   * (its revocation ran before the credential existed) is put back first, so a failure here
   * leaves something for the reaper to retry.
   */
  private async revokeHolding(lease: LeaseRecord, intent: LeaseIntent): Promise<'revoked' | 'retry' | 'irrevocable'> {
    const { store, clock, options } = this.deps;
    const claim = () => store.markRevoking(lease.id, clock(), clock() + options.claimTimeoutMs);
    if (!(await claim())) {
      await store.create(intent, 'pending', clock()).catch(() => {});
      await store.activate(lease.id, lease.internal).catch(() => false);
      await claim();
    }
    return this.deps.revoker.revoke(lease);
  }

  private async owned(caller: Caller, id: string): Promise<LeaseRecord | undefined> {
    const lease = await this.deps.store.get(id);
    if (!lease) return undefined;
    if (!(await this.mayAct(caller, lease))) throw permissionDenied('permission denied: the lease belongs to another token');
    return lease;
  }

  private async mayAct(caller: Caller, lease: Pick<LeaseRecord, 'tokenId' | 'ancestors'>): Promise<boolean> {
    const { identity } = caller;
    if (identity.isRoot || lease.tokenId === identity.tokenId) return true;
    // The lease recorded its token's ancestors at issue; after a revoke-orphan cut the token
    // off from the caller, its current ancestors say so (a token already gone cannot have been
    // cut off later, so the recorded ones stand).
    if (lease.ancestors.includes(identity.tokenId)) {
      const now = await this.deps.tokenAncestors?.(lease.tokenId);
      if (!now || now.includes(identity.tokenId)) return true;
    }
    return Boolean(await this.deps.access().authorize(identity, caller.path, ['sudo'], caller.list));
  }

  async renew(caller: Caller, id: string, incrementSec?: number): Promise<Renewed> {
    const { store, clock, metrics, log, options } = this.deps;
    const lease = await this.owned(caller, id);
    if (!lease) throw badRequest(`lease not found: ${id} has expired or was revoked`);
    if (lease.state === 'irrevocable') throw badRequest(`lease ${id} has expired and could not be revoked; it cannot be renewed`);
    // Only the message: a lease the reaper took at its expiry is marked revoking too, and its
    // client is told it expired. The store decides at renewBegin, by the clock read there.
    if (lease.expireTime <= clock()) throw badRequest(`lease ${id} has expired and cannot be renewed`);
    if (lease.revoking) throw badRequest(`lease ${id} is being revoked and cannot be renewed`);
    if (lease.state === 'pending') throw badRequest(`lease ${id} is still being issued`);
    const now = clock();
    const increment = incrementSec && incrementSec > 0 ? incrementSec : lease.ttl;
    let newExpire = now + increment * 1000;
    const warnings: string[] = [];
    if (newExpire > lease.maxExpireTime) {
      newExpire = lease.maxExpireTime;
      const maxTtl = Math.round((lease.maxExpireTime - lease.issueTime) / 1000);
      warnings.push(`TTL of "${increment}s" exceeded the effective max_ttl of "${maxTtl}s"; TTL value is capped accordingly`);
    }
    // One owner at a time: the renewal holds the lease before it touches the credential, so a
    // reaper that took it first wins (this answers 400 and changes nothing), and a reaper coming
    // later leaves it alone. The hold lapses, so a renewal that dies does not pin the lease.
    const token = randomUUID();
    const holdUntil = now + options.renewHoldMs;
    refuseRenewal(await store.renewBegin(id, now, holdUntil, token), id);
    // The credential's own expiry (api keys, VALID UNTIL) moves first: a failure leaves the lease as it was.
    try {
      await withTimeout(this.deps.engines().updateCredential(lease, newExpire), Math.floor(options.renewHoldMs / 2));
    } catch (err) {
      await store.renewAbort(id, token, holdUntil).catch(() => {});
      // By cause, naming the target: unreachable 503, a statement it refused 502.
      throw toHttpError(err, [], { mount: lease.mount, config: lease.config });
    }
    refuseRenewal(await store.renewCommit(id, token, now, newExpire), id);
    metrics.renewed.inc({ mount: lease.mount });
    const ttl = Math.max(0, Math.round((newExpire - now) / 1000));
    // Debug, not info: a renewal is routine (the audit log records each one), and an info line
    // per renewal was a stdout write syscall on every request of the hottest path.
    log.debug({ leaseId: id, ttl, capped: warnings.length > 0 }, 'lease renewed');
    return { leaseId: id, leaseDuration: ttl, renewable: newExpire < lease.maxExpireTime, warnings };
  }

  async lookup(caller: Caller, id: string) {
    const lease = await this.owned(caller, id);
    if (!lease) throw badRequest(`invalid lease: ${id} does not exist (it expired or was revoked)`);
    const now = this.deps.clock();
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id: lease.id,
      issue_time: iso(lease.issueTime),
      expire_time: iso(lease.expireTime),
      last_renewal: lease.lastRenewal ? iso(lease.lastRenewal) : null,
      renewable: lease.state === 'active' && !lease.revoking && lease.expireTime > now && lease.expireTime < lease.maxExpireTime,
      ttl: Math.max(0, Math.round((lease.expireTime - now) / 1000)),
      state: lease.revoking ? 'revoking' : lease.state,
    };
  }

  /** Vault's LIST: the next path segment under the prefix ("creds/" or a lease's random part). */
  async list(caller: Caller, prefix: string): Promise<string[]> {
    let ids = await this.deps.store.listPrefix(prefix);
    if (!(await this.mayAct(caller, { tokenId: '', ancestors: [] }))) {
      // Without sudo: only the caller's own leases (and its children's), read in slices.
      const mine: string[] = [];
      for (let i = 0; i < ids.length; i += 1000) {
        for (const r of await this.deps.store.getMany(ids.slice(i, i + 1000))) if (r && (await this.mayAct(caller, r))) mine.push(r.id);
      }
      ids = mine;
    }
    const keys = new Set<string>();
    for (const id of ids) {
      const rest = id.slice(prefix.length);
      const slash = rest.indexOf('/');
      keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
    }
    return [...keys];
  }

  /** sync: revoke now and report failure; otherwise the reaper does it (and retries). */
  async revoke(caller: Caller, id: string, sync: boolean): Promise<void> {
    const lease = await this.owned(caller, id);
    if (!lease) return; // already gone: revocation is idempotent
    const now = this.deps.clock();
    if (!sync) {
      await this.deps.store.markRevoking(id, now, now);
      return;
    }
    let failure: unknown;
    const outcome = await this.revokeNow(id, (err) => (failure = err));
    if (outcome !== 'revoked') {
      // By cause, naming the target: unreachable 503, a statement it refused 502.
      const cause = failure === undefined ? undefined : toHttpError(failure, [], { mount: lease.mount, config: lease.config });
      const then = outcome === 'retry' ? 'will be retried' : 'is now irrevocable';
      throw new LessorError(cause?.code ?? 'UPSTREAM_FAILED', `revocation of ${id} failed (${cause?.message ?? 'unknown error'}); it ${then}`);
    }
  }

  /** Enqueues: marks every lease under the prefix due now; the reapers drain them. */
  async revokePrefix(prefix: string): Promise<number> {
    const n = await this.deps.store.revokePrefix(prefix, this.deps.clock());
    this.deps.log.info({ prefix, leases: n }, 'revoke-prefix queued');
    return n;
  }

  /** Forgets every lease under the prefix after one best-effort revoke each (sudo; audited). */
  async revokeForce(caller: Caller, prefix: string): Promise<number> {
    const ids = await this.deps.store.listPrefix(prefix);
    let forgotten = 0;
    for (let i = 0; i < ids.length; i += 50) {
      const recs = await this.deps.store.getMany(ids.slice(i, i + 50));
      await Promise.all(recs.map(async (lease) => {
        if (!lease) return;
        if (await this.deps.revoker.forget(lease)) forgotten++;
      }));
    }
    this.deps.log.warn({ prefix, leases: forgotten, accessor: caller.identity.accessor }, 'revoke-force: leases forgotten');
    return forgotten;
  }

  async irrevocable(): Promise<string[]> {
    return this.deps.store.listIrrevocable();
  }

  /** Token cascade: every lease issued to these tokens (or their children) is revoked by the reaper. */
  async revokeByTokens(tokenIds: string[]): Promise<number> {
    const ids = await this.deps.store.byTokens(tokenIds);
    const now = this.deps.clock();
    let n = 0;
    for (let i = 0; i < ids.length; i += 200) {
      const marked = await Promise.all(ids.slice(i, i + 200).map((id) => this.deps.store.markRevoking(id, now, now)));
      n += marked.filter(Boolean).length;
    }
    if (n > 0) this.deps.log.info({ tokens: tokenIds.length, leases: n }, 'leases of revoked tokens queued for revocation');
    return n;
  }
}
