/**
 * Where leases live: Redis in production (redis-lease-store.ts), process memory only in
 * `lessor dev` (memory-lease-store.ts). Both pass test/leases/lease-store-contract.ts.
 *
 * A lease is "due" when the reaper should act on it: at its expiry, at once when revocation was
 * asked for, at the next retry after a failed revocation, or when a reaper's claim on it ran out.
 */
export type LeaseState = 'pending' | 'active' | 'irrevocable';

/** What is fixed when the lease is written (intent first), before the engine creates anything. */
export interface LeaseIntent {
  id: string;
  mount: string;
  /** Engine type (plugin) and config (connection) name: enough to find the engine again. */
  plugin: string;
  config: string;
  roleName: string;
  /** The role's full stored JSON at issue time: revocation never needs the role to still exist. */
  role: Record<string, unknown>;
  credentialId: string;
  /** Token that asked, and its parent, grandparent, … (ownership and cascade). */
  tokenId: string;
  ancestors: string[];
  /** Milliseconds since the epoch. */
  issueTime: number;
  expireTime: number;
  /** The max TTL cap counted from issue time. */
  maxExpireTime: number;
  /** TTL granted at issue (seconds): the default increment of a renew without one. */
  ttl: number;
}

export interface LeaseRecord extends LeaseIntent {
  state: LeaseState;
  /** Revocation was asked for (revoke, revoke-prefix, cascade) and is under way. */
  revoking: boolean;
  lastRenewal?: number;
  /** Engine's internal data, sealed; never a secret in clear. */
  internal?: string;
  attempts: number;
  lastError?: string;
}

/** 'busy': another renewal holds the lease; 'lost': this renewal's hold lapsed and another took it. */
export type RenewOutcome = 'ok' | 'not_found' | 'not_active' | 'expired' | 'revoking' | 'busy' | 'lost';

/** A reaper's take: 'taken' (it revokes), or given back: 'renewed', 'held' (a renewal holds it), 'gone'. */
export type TakeOutcome = 'taken' | 'renewed' | 'held' | 'gone';

/**
 * How a failed revocation counts: 'attempt' spends one of the lease's attempts (the reaper's
 * scheduled tries); 'extra' does not (a caller's synchronous revoke of a lease the reaper already
 * retries: a client retrying every few milliseconds must not spend a day's budget in seconds);
 * 'final' makes it irrevocable now (the engine said it can never succeed).
 */
export type FailKind = 'attempt' | 'extra' | 'final';

export interface FailOutcome {
  attempts: number;
  irrevocable: boolean;
  gone: boolean;
}

export interface LeaseStore {
  readonly kind: 'redis' | 'memory';
  /** Writes a lease (state pending or active) due at its expiry. Throws if the id exists. */
  create(intent: LeaseIntent, state: 'pending' | 'active', now: number): Promise<void>;
  /**
   * pending → active with the sealed internal data; false if the lease is gone or its
   * revocation was asked for meanwhile (then it stays pending, internal data kept).
   */
  activate(id: string, internal: string | undefined): Promise<boolean>;
  get(id: string): Promise<LeaseRecord | undefined>;
  getMany(ids: string[]): Promise<Array<LeaseRecord | undefined>>;
  /**
   * A lease has one owner at a time: a renewal or a revocation. A renewal holds an active,
   * unexpired (by `now`), not-revoking lease until `holdUntil` before it touches the credential,
   * then commits the new expiry or aborts; a reaper takes a due lease (`take`) before revoking it.
   */
  renewBegin(id: string, now: number, holdUntil: number, token: string): Promise<RenewOutcome>;
  /** Records the new expiry and lets go; 'revoking' if a revocation was asked for meanwhile. */
  renewCommit(id: string, token: string, now: number, newExpire: number): Promise<RenewOutcome>;
  /** Lets go of a lease unchanged (the engine call failed); `holdUntil` as begun. */
  renewAbort(id: string, token: string, holdUntil: number): Promise<void>;
  /**
   * The reaper's step between claiming a due lease and revoking it: taken if its revocation was
   * asked for, or if it has expired by `now` and no renewal holds it (it is then marked revoking);
   * otherwise given back, due at its new expiry or when the renewal's hold ends.
   */
  take(id: string, now: number): Promise<TakeOutcome>;
  /** Marks for revocation, due at dueAt (now: the reaper; later: the caller holds the claim). */
  markRevoking(id: string, now: number, dueAt: number): Promise<boolean>;
  /** Claims up to limit due leases until claimUntil; returns their ids. */
  claimDue(now: number, claimUntil: number, limit: number): Promise<string[]>;
  /** Forgets a lease; false if it was already gone. */
  remove(id: string): Promise<boolean>;
  /** A failed revocation: retry at nextAttempt, or irrevocable after maxAttempts (or now). */
  fail(id: string, now: number, nextAttempt: number, maxAttempts: number, error: string, kind: FailKind): Promise<FailOutcome>;
  /** Lease ids starting with prefix, sorted. */
  listPrefix(prefix: string, limit?: number): Promise<string[]>;
  /** Marks every lease under prefix for revocation, due now; returns how many. */
  revokePrefix(prefix: string, now: number): Promise<number>;
  /** Lease ids issued to any of these tokens or their children (may include revoked ones: check). */
  byTokens(tokenIds: string[]): Promise<string[]>;
  /**
   * Takes the leases indexed under `of` out of the indexes of `from` (revoke-orphan: a subtree
   * cut off from a revoked token leaves the cascade of that token and of those above it).
   */
  unindex(of: string[], from: string[]): Promise<void>;
  /** Irrevocable lease ids, oldest first. */
  listIrrevocable(): Promise<string[]>;
  /** Live leases per "mount|role" (metrics). */
  counts(): Promise<Record<string, number>>;
  irrevocableCount(): Promise<number>;
  /** The smallest due score (the oldest due lease's expiry), if any. */
  oldestDue(): Promise<number | undefined>;

  /**
   * Revocations held up by an unreachable target (engine config), so they can run as soon as
   * it answers again instead of at each lease's own backoff (see target-recovery.ts). A target
   * is `targetOf(lease)`.
   * targetDown: the target is down (since `now`, unless already marked) and this lease's
   * failed revocation waits for it, due again at retryAt.
   */
  targetDown(target: string, leaseId: string, retryAt: number, now: number): Promise<void>;
  /** Targets marked down, with when each was first seen down. */
  downTargets(): Promise<Map<string, number>>;
  /**
   * The target answers again: its waiting revocations still due at the retry they were given
   * become due now (one a reaper holds or that finished meanwhile is left alone), and the
   * marker goes. Returns how many were moved.
   */
  releaseTarget(target: string, now: number): Promise<number>;

  /**
   * Credentials a target's config issued and has not finished revoking: the reconciler's proof
   * of ownership. Added with the intent, before the credential exists; removed only once its
   * revocation succeeded. Never holds a credential lessor did not make.
   */
  ownedAdd(target: string, credentialId: string): Promise<void>;
  ownedRemove(target: string, credentialId: string): Promise<void>;
  ownedList(target: string): Promise<string[]>;

  /** Plugin jobs: run once across replicas at or after dueAt. */
  scheduleJob(member: string, dueAt: number): Promise<void>;
  unscheduleJob(member: string): Promise<void>;
  claimJobs(now: number, claimUntil: number, limit: number): Promise<string[]>;
  /** Forgets a finished job unless it was rescheduled while it ran. */
  jobDone(member: string, claimedUntil: number): Promise<void>;

  /** Per-mount engine state (EngineState), JSON values. */
  stateGet(mount: string, key: string): Promise<unknown>;
  stateSet(mount: string, key: string, value: unknown, ttlMs?: number): Promise<void>;
  /**
   * Replaces top-level fields of an existing JSON-object entry in one atomic step; false if
   * there is no entry. ttlMs as for stateSet; without it the entry keeps its TTL.
   */
  stateUpdate(mount: string, key: string, fields: Record<string, unknown>, ttlMs?: number): Promise<boolean>;
  stateDel(mount: string, key: string): Promise<void>;
}

/** Label for the live-count index: mount and role, as the metrics show them. */
export const countField = (l: Pick<LeaseIntent, 'mount' | 'roleName'>) => `${l.mount}|${l.roleName}`;

/** Lease records are kept this long past their max expiry (garbage collection, never relied on). */
export const RECORD_GC_MS = 7 * 24 * 3600 * 1000;

/** The engine config a lease's credential lives behind: one target database, one down marker. */
export const targetOf = (l: Pick<LeaseIntent, 'mount' | 'config'>) => `${l.mount}|${l.config}`;
