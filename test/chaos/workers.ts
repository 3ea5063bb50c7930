// Load on both engines: each worker slot issues a lease and lives it out by a seeded plan:
// abandon it, revoke it at a random moment, or renew it one to three times (some renewals in
// the last 50 ms before expiry, the moment a reaper may be claiming it) and then abandon or
// revoke it. A slot stays busy until its lease ends, so `slots` is the number of live leases.
import type { LessorClient } from './http.js';
import type { Engine, Ledger, LeaseRecord } from './ledger.js';
import { ENGINES } from './ledger.js';
import type { Prng } from './prng.js';

/** Answers and probes that finish this long before the known expiry are certainly before it. */
export const CLOCK_TOLERANCE_MS = 20;

export interface WorkerOptions {
  slotsPerEngine: number;
  defaultTtlSec: number;
  maxTtlSec: number;
  /** Ask for a probe of this lease at these times (ms since epoch). */
  probeAt(lease: LeaseRecord, at: number): void;
}

export class Workers {
  private stopped = false;
  private wake!: () => void;
  private readonly stopSignal = new Promise<void>((r) => (this.wake = r));
  private readonly running: Promise<void>[] = [];
  /** When creds requests died with a replica: lessor may hold a lease we never saw, due by then + max TTL. */
  readonly unknownIssues: number[] = [];

  constructor(private readonly client: LessorClient, private readonly ledger: Ledger,
    private readonly rng: Prng, private readonly opts: WorkerOptions) {}

  start(): void {
    for (const engine of ENGINES) {
      for (let i = 0; i < this.opts.slotsPerEngine; i++) this.running.push(this.slot(engine, this.rng.fork()));
    }
  }

  /** n extra leases per engine, their creds requests all sent at once. */
  burst(n: number): void {
    for (const engine of ENGINES) {
      for (let i = 0; i < n; i++) this.running.push(this.life(engine, this.rng.fork()));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await Promise.all(this.running);
  }

  private async slot(engine: Engine, rng: Prng): Promise<void> {
    while (!this.stopped) await this.life(engine, rng);
  }

  /** Resolves at `at`, or at once when the run stops. */
  private async until(at: number): Promise<void> {
    const ms = at - Date.now();
    if (ms <= 0 || this.stopped) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), this.stopSignal]);
    clearTimeout(timer);
  }

  private async life(engine: Engine, rng: Prng): Promise<void> {
    const lease = await this.issue(engine);
    if (!lease) {
      await this.until(Date.now() + 300); // lessor or the target is down: do not spin
      return;
    }
    if (rng.chance(0.25)) this.opts.probeAt(lease, lease.lower - rng.int(150, 400)); // just before expiry
    const plan = rng.next();
    if (plan >= 0.6) {
      for (let n = rng.int(1, 3); n > 0 && !this.stopped; n--) {
        const lastMoment = rng.chance(0.4);
        const now = Date.now();
        await this.until(lastMoment ? lease.lower - rng.int(5, 50) : now + rng.between(0.3, 0.9) * (lease.lower - now));
        if (this.stopped) return;
        const renewed = await this.renew(lease);
        if (renewed === 'ended') break;
        // Right after a renewal that raced the reaper: the credential must still work.
        if (lastMoment) for (const after of [300, 1200]) this.opts.probeAt(lease, Date.now() + after);
        if (renewed === 'capped') break;
      }
    }
    if (plan < 0.35 || (plan >= 0.6 && rng.chance(0.5))) {
      await this.until(lease.upper);
      return; // abandoned: the reaper's job
    }
    const now = Date.now();
    await this.until(now + rng.between(0.1, 0.9) * (lease.lower - now));
    if (this.stopped) return;
    if (Date.now() < lease.lower) await this.revoke(lease);
    await this.until(lease.upper);
  }

  private async issue(engine: Engine): Promise<LeaseRecord | undefined> {
    const c = this.ledger.counters[engine];
    const a = await this.client.call('GET', 'database/creds/:role', `database/creds/${engine}`);
    if (a.kind === 'down') {
      c.issueUnknown++;
      this.unknownIssues.push(a.recvAt);
      return undefined;
    }
    if (a.status !== 200) {
      c.issueFailed++;
      return undefined;
    }
    const d = Number(a.body.lease_duration) * 1000;
    const lease: LeaseRecord = {
      id: a.body.lease_id, engine, username: a.body.data.username, password: a.body.data.password,
      issueSentAt: a.sentAt, issuedAt: a.recvAt, lower: a.sentAt + d, upper: a.recvAt + d,
    };
    this.ledger.add(lease);
    return lease;
  }

  /** Renews until an answer says yes or no, or the lease is over: 'ok', 'capped' (max TTL reached) or 'ended'. */
  private async renew(lease: LeaseRecord): Promise<'ok' | 'capped' | 'ended'> {
    const c = this.ledger.counters[lease.engine];
    const increment = this.opts.defaultTtlSec;
    while (Date.now() < lease.lower) {
      lease.lastRenewSentAt = Date.now();
      const a = await this.client.call('PUT', 'sys/leases/renew', 'sys/leases/renew', { lease_id: lease.id, increment });
      if (a.kind === 'ok' && a.status === 200) {
        c.renewed++;
        const capped = a.body.renewable === false || (a.body.warnings?.length ?? 0) > 0;
        // Capped: the expiry is issue time + max TTL, and issue time lies between our request and its answer.
        if (capped) {
          lease.lower = Math.max(lease.lower, lease.issueSentAt + this.opts.maxTtlSec * 1000);
          lease.upper = Math.max(lease.upper, lease.issuedAt + this.opts.maxTtlSec * 1000);
          return 'capped';
        }
        lease.lower = Math.max(lease.lower, a.sentAt + increment * 1000);
        lease.upper = Math.max(lease.upper, a.recvAt + increment * 1000);
        return 'ok';
      }
      if (a.kind === 'ok' && a.status >= 400 && a.status < 500) {
        c.renewRefused++;
        if (a.recvAt + CLOCK_TOLERANCE_MS < lease.lower && lease.revokeSentAt === undefined) {
          this.ledger.find({ kind: 'lost-lease', engine: lease.engine,
            detail: `${lease.id}: renew answered ${a.status} "${errorText(a.body)}" at ${this.ledger.t(a.recvAt)}, ${lease.lower - a.recvAt} ms before its expiry` });
        }
        return 'ended';
      }
      // 503 (Redis or the target down) or the replica died: try again, another replica maybe.
      await this.until(Date.now() + 200);
      if (this.stopped) return 'ended';
    }
    return 'ended';
  }

  private async revoke(lease: LeaseRecord): Promise<void> {
    lease.revokeSentAt = Date.now();
    while (Date.now() < lease.upper && !this.stopped) {
      const a = await this.client.call('PUT', 'sys/leases/revoke', 'sys/leases/revoke', { lease_id: lease.id });
      if (a.kind === 'ok' && a.status === 204) {
        lease.revokedAt = a.recvAt;
        this.ledger.counters[lease.engine].revoked++;
        return;
      }
      if (a.kind === 'ok' && a.status >= 400 && a.status < 500) return;
      await this.until(Date.now() + 200);
    }
  }
}

export function errorText(body: unknown): string {
  const errors = (body as { errors?: unknown[] } | undefined)?.errors;
  return Array.isArray(errors) ? errors.join('; ').slice(0, 200) : String(body).slice(0, 200);
}
