// Watching lessor from outside while the workers run:
// - login probes of live credentials (random ones, plus those the workers ask for): a refusal
//   that certainly happened before the lease's expiry, with no revoke sent by us, is an early
//   revocation;
// - lease lookups: "invalid lease" certainly before expiry is a lost lease;
// - a poll of each target's user list: when each ended lease's user disappeared (reaper lag), a
//   user gone while its lease is live (early revocation), and a user still there past its
//   deadline whose credential still logs in (lost lease).
import type { LessorClient } from './http.js';
import type { Engine, Ledger, LeaseRecord } from './ledger.js';
import { ENGINES } from './ledger.js';
import type { Prng } from './prng.js';
import type { Target } from './targets.js';
import { CLOCK_TOLERANCE_MS, errorText } from './workers.js';

export interface ProbeOptions {
  /** How long after a lease ended (or after the fault that covered its end was repaired) its user may still log in. */
  graceMs: number;
  /** Lessor's reaper claim timeout: a killed replica's claims wait this long. */
  claimTimeoutMs: number;
  pollMs: number;
}

export class Probes {
  private stopped = false;
  /** Login and lookup probes run until stopProbing(); the user-list poll until stop(). */
  private probing = true;
  private readonly loops: Promise<void>[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly targets: Record<Engine, Target>, private readonly ledger: Ledger,
    private readonly client: LessorClient, private readonly rng: Prng, private readonly opts: ProbeOptions) {}

  start(): void {
    for (const engine of ENGINES) {
      this.loops.push(this.every(300, () => this.randomProbes(engine)));
      this.loops.push(this.every(this.opts.pollMs, () => this.poll(engine)));
    }
    this.loops.push(this.every(1000, () => this.randomLookup()));
  }

  /** Stops the login and lookup probes; the user-list poll goes on (reaper lag) until stop(). */
  stopProbing(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.probing = false;
  }

  async stop(): Promise<void> {
    this.stopProbing();
    this.stopped = true;
    await Promise.all([...this.loops, ...this.inflight]);
  }

  probeAt(lease: LeaseRecord, at: number): void {
    if (!this.probing) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(this.probe(lease));
    }, Math.max(0, at - Date.now()));
    this.timers.add(timer);
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async every(ms: number, fn: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      await fn().catch(() => {});
      const wait = ms - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async randomProbes(engine: Engine): Promise<void> {
    if (!this.probing) return;
    const live = this.ledger.live(engine);
    const picks = Array.from({ length: Math.min(2, live.length) }, () => this.rng.pick(live));
    await Promise.all(picks.map((l) => this.probe(l)));
  }

  async probe(lease: LeaseRecord): Promise<void> {
    if (lease.revokeSentAt !== undefined || !this.probing) return;
    const liveUntil = lease.lower; // renewals only move it later
    if (Date.now() >= liveUntil) return;
    const c = this.ledger.counters[lease.engine];
    const result = await this.targets[lease.engine].login(lease.username, lease.password);
    const doneAt = Date.now();
    c.probes++;
    if (result === 'unreachable') c.probesInconclusive++;
    if (result !== 'refused' || lease.revokeSentAt !== undefined || lease.earlyReported) return;
    if (doneAt + CLOCK_TOLERANCE_MS < liveUntil) {
      lease.earlyReported = true;
      this.ledger.find({ kind: 'early-revocation', engine: lease.engine,
        detail: `${lease.id}: login refused at ${this.ledger.t(doneAt)}, ${liveUntil - doneAt} ms before its expiry` });
    }
  }

  private async randomLookup(): Promise<void> {
    if (!this.probing) return;
    const live = this.ledger.live();
    if (!live.length) return;
    const lease = this.rng.pick(live);
    const a = await this.client.call('PUT', 'sys/leases/lookup', 'sys/leases/lookup', { lease_id: lease.id });
    if (a.kind !== 'ok' || a.status !== 400 || lease.revokeSentAt !== undefined) return;
    if (a.recvAt + CLOCK_TOLERANCE_MS < lease.lower) {
      this.ledger.find({ kind: 'lost-lease', engine: lease.engine,
        detail: `${lease.id}: lookup answered 400 "${errorText(a.body)}" at ${this.ledger.t(a.recvAt)}, ${lease.lower - a.recvAt} ms before its expiry` });
    }
  }

  private async poll(engine: Engine): Promise<void> {
    const startedAt = Date.now();
    const users = await this.targets[engine].listUsers(); // throws while the target is down
    const doneAt = Date.now();
    for (const lease of this.ledger.leases.values()) {
      if (lease.engine !== engine || lease.issuedAt >= startedAt) continue;
      const present = users.has(lease.username);
      if (!present && lease.goneAt === undefined) {
        lease.goneAt = startedAt;
        if (lease.revokeSentAt === undefined && doneAt + CLOCK_TOLERANCE_MS < lease.lower && !lease.earlyReported) {
          lease.earlyReported = true;
          this.ledger.find({ kind: 'early-revocation', engine,
            detail: `${lease.id}: its user was gone from the target at ${this.ledger.t(doneAt)}, ${lease.lower - doneAt} ms before its expiry` });
        }
      }
      if (present && !lease.checkedAfterEnd && doneAt > this.deadline(lease)) {
        lease.checkedAfterEnd = true;
        this.track(this.checkEnded(lease));
      }
    }
  }

  /** When the user of an ended lease must be unable to log in. */
  deadline(lease: LeaseRecord): number {
    const end = lease.revokedAt ?? lease.upper;
    let deadline = end + this.opts.graceMs;
    for (const f of this.ledger.faultsFor(lease.engine)) {
      const repaired = f.end ?? Infinity;
      if (f.kind === 'replica-kill') {
        // Claims the killed replica held (leases due around the kill) wait out the claim timeout.
        if (end >= f.start - 2000 && end <= repaired) deadline = Math.max(deadline, f.start + this.opts.claimTimeoutMs + this.opts.graceMs);
      } else if (end >= f.start - this.opts.graceMs && end <= repaired) {
        deadline = Math.max(deadline, repaired + this.opts.graceMs);
      }
    }
    return deadline;
  }

  private async checkEnded(lease: LeaseRecord): Promise<void> {
    const result = await this.targets[lease.engine].login(lease.username, lease.password);
    if (result !== 'ok') return;
    const now = Date.now();
    const end = lease.revokedAt ?? lease.upper;
    this.ledger.find({ kind: 'lost-lease', engine: lease.engine,
      detail: `${lease.id}: its credential still logs in at ${this.ledger.t(now)}, ${now - end} ms after its lease ${lease.revokedAt ? 'was revoked' : 'expired'}` });
  }
}
