// What the chaos run knows: every lease it holds with the bounds of its expiry, the fault
// windows, and the counters the report prints. Times are Date.now() of this process; lessor runs
// on the same machine, so its clock is ours.
export type Engine = 'pg' | 'mariadb';
export const ENGINES: readonly Engine[] = ['pg', 'mariadb'];

export interface LeaseRecord {
  id: string;
  engine: Engine;
  username: string;
  password: string;
  /** The creds request was sent at issueSentAt and answered at issuedAt. */
  issueSentAt: number;
  issuedAt: number;
  /** Lessor's expiry is at or after this (request sent + TTL granted). */
  lower: number;
  /** ...and at or before this (answer received + TTL granted). */
  upper: number;
  /** The last renew request sent, answered or not: a renewal may hold the lease from the reaper for a moment. */
  lastRenewSentAt?: number;
  /** Sent a revoke (whatever its answer): from then on a dead credential is expected. */
  revokeSentAt?: number;
  /** A revoke answered 204. */
  revokedAt?: number;
  /** First poll of the target's user list, after the lease ended, that no longer shows the user. */
  goneAt?: number;
  /** The "still works after its lease ended + grace" check ran. */
  checkedAfterEnd?: boolean;
  earlyReported?: boolean;
}

export type FaultKind = 'replica-kill' | 'redis-kill' | 'pg-down' | 'mariadb-down';

export interface FaultWindow {
  kind: FaultKind;
  start: number;
  /** When the fault was repaired (server back and answering); undefined while it lasts. */
  end?: number;
}

export interface Finding {
  at: number;
  kind: 'early-revocation' | 'lost-lease' | 'orphan' | 'http-500' | 'hang';
  engine?: Engine;
  detail: string;
}

export interface EngineCounters {
  issued: number;
  issueFailed: number;
  /** The creds request died with its replica: lessor may have made a user we never heard of. */
  issueUnknown: number;
  renewed: number;
  renewRefused: number;
  revoked: number;
  expired: number;
  probes: number;
  probesInconclusive: number;
  early: number;
  lost: number;
  orphans: number;
}

const zero = (): EngineCounters => ({
  issued: 0, issueFailed: 0, issueUnknown: 0, renewed: 0, renewRefused: 0, revoked: 0, expired: 0,
  probes: 0, probesInconclusive: 0, early: 0, lost: 0, orphans: 0,
});

export class Ledger {
  readonly leases = new Map<string, LeaseRecord>();
  readonly faults: FaultWindow[] = [];
  readonly findings: Finding[] = [];
  readonly counters: Record<Engine, EngineCounters> = { pg: zero(), mariadb: zero() };
  /** `METHOD route` → status → count, for every answer lessor gave. */
  readonly statuses = new Map<string, Map<string, number>>();
  /** The first answer of each `route status` that was not a success, with when it came. */
  readonly firstFailure = new Map<string, string>();
  readonly startedAt = Date.now();

  add(lease: LeaseRecord): void {
    this.leases.set(lease.id, lease);
    this.counters[lease.engine].issued++;
  }

  /** Live for the purpose of probing: not revoked by us and certainly not expired yet. */
  live(engine?: Engine): LeaseRecord[] {
    const now = Date.now();
    return [...this.leases.values()].filter((l) => (!engine || l.engine === engine) && l.revokeSentAt === undefined && l.lower > now);
  }

  status(route: string, status: string, detail?: () => string): void {
    const key = `${route} ${status}`;
    if (!/^2/.test(status) && !this.firstFailure.has(key)) this.firstFailure.set(key, `${this.t()}${this.during()} ${detail?.() ?? ''}`);
    let m = this.statuses.get(route);
    if (!m) this.statuses.set(route, (m = new Map()));
    m.set(status, (m.get(status) ?? 0) + 1);
  }

  find(f: Omit<Finding, 'at'>): void {
    this.findings.push({ at: Date.now(), ...f });
    if (f.engine && f.kind === 'early-revocation') this.counters[f.engine].early++;
    if (f.engine && f.kind === 'lost-lease') this.counters[f.engine].lost++;
    if (f.engine && f.kind === 'orphan') this.counters[f.engine].orphans++;
  }

  /** Which faults are under way now, for messages. */
  during(at = Date.now()): string {
    const on = this.faults.filter((f) => f.start <= at && (f.end === undefined || f.end >= at)).map((f) => f.kind);
    return on.length ? ` (during ${on.join(', ')})` : '';
  }

  /** Seconds since the run started, for messages. */
  t(at = Date.now()): string {
    return `t+${((at - this.startedAt) / 1000).toFixed(1)}s`;
  }

  faultStart(kind: FaultKind): FaultWindow {
    const w: FaultWindow = { kind, start: Date.now() };
    this.faults.push(w);
    return w;
  }

  /** Faults that touch an engine's revocations: its own target's outage, Redis, a replica. */
  faultsFor(engine: Engine): FaultWindow[] {
    return this.faults.filter((f) => f.kind === 'replica-kill' || f.kind === 'redis-kill' || f.kind === `${engine}-down`);
  }
}
