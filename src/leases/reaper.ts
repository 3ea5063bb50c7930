import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import type { LeaseMetrics } from './lease-metrics.js';
import type { LeaseRevoker } from './lease-revoker.js';
import type { LeaseRecord, LeaseStore } from './lease-store.js';
import type { TargetRecovery } from './target-recovery.js';

/** Plugin jobs (MountApi.schedule) run through the same claims as leases. */
export interface JobRunner {
  runJob(member: string): Promise<void>;
}

export interface ReaperOptions {
  intervalMs: number;
  /** Leases claimed per script call. */
  batchSize: number;
  /** A claim holds this long; a reaper killed mid-batch gives its leases back after it. */
  claimTimeoutMs: number;
  /** Concurrent revocations per engine config (one target database's connection budget). */
  concurrencyPerConfig: number;
  /** Stop sweeping after this long in one run, so one replica does not hog a huge backlog. */
  maxRunMs: number;
  /** Delay before a failed job is tried again. */
  jobRetryMs: number;
  /** Awaited once a lease is taken, before its revocation runs: tests hold the reaper there. */
  beforeRevoke?: (lease: LeaseRecord) => Promise<void>;
  /** How often each replica probes a target that revocations are waiting for. */
  probeIntervalMs: number;
}

export const DEFAULT_REAPER_OPTIONS: Omit<ReaperOptions, 'intervalMs'> = {
  batchSize: 200,
  claimTimeoutMs: 60_000,
  concurrencyPerConfig: 32,
  maxRunMs: 10_000,
  jobRetryMs: 30_000,
  // Revocations due during an outage run at most this long (plus one sweep) after it ends.
  probeIntervalMs: 1000,
};

export interface ReaperRun {
  claimed: number;
  revoked: number;
  failed: number;
  jobs: number;
}

/**
 * Every replica runs one. A sweep claims due leases (lease-claim Lua: the score moves to the claim
 * deadline, so no other replica takes them meanwhile), revokes them with bounded concurrency per
 * engine config, and lets the revoker delete, reschedule or mark them irrevocable.
 */
export class Reaper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<ReaperRun>;
  private stopped = false;

  constructor(
    private readonly deps: {
      store: LeaseStore;
      revoker: LeaseRevoker;
      jobs?: () => JobRunner | undefined;
      clock: () => number;
      log: Logger;
      metrics: LeaseMetrics;
      options: ReaperOptions;
      /** Probes targets whose revocations wait for them; see target-recovery.ts. */
      recovery?: TargetRecovery;
    },
  ) {}

  /** Tests call `recovery.probeDue()` to run the probes a sweep only starts. */
  get recovery(): TargetRecovery | undefined {
    return this.deps.recovery;
  }

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    const tick = () => {
      this.timer = setTimeout(async () => {
        await this.runOnce().catch((err) => this.deps.log.warn({ err }, 'reaper sweep failed; will retry'));
        if (!this.stopped) tick();
      }, this.deps.options.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
    // Probes under way are not waited for: one against a dead host would hold shutdown for its
    // connect timeout, and what it would release the next replica's probe releases.
  }

  /** One sweep (concurrent callers share it); tests call this instead of waiting for the timer. */
  runOnce(): Promise<ReaperRun> {
    if (!this.running) this.running = this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<ReaperRun> {
    const { store, clock, options, metrics } = this.deps;
    const run: ReaperRun = { claimed: 0, revoked: 0, failed: 0, jobs: 0 };
    const started = clock();
    // Not awaited: a probe of a dead host may take its whole connect timeout, and other
    // targets' revocations must not wait for it. What it releases is due for the next sweep.
    // Its only failure is the lease store's, which the sweep itself reports at warn.
    void this.deps.recovery?.probeDue().catch((err) => this.deps.log.debug({ err }, 'target probes failed; will retry'));
    const oldest = await store.oldestDue();
    if (oldest !== undefined) metrics.reaperLag.observe(Math.max(0, started - oldest) / 1000);
    // One limit per engine config for the whole sweep, not per batch: the next batch is claimed
    // as soon as the last of this one has started, so a large backlog keeps every config's
    // revocation slots full instead of waiting for each batch's slowest revocation.
    const limits = new Map<string, LimitFunction>();
    const revocations: Promise<void>[] = [];
    for (;;) {
      const now = clock();
      const ids = await store.claimDue(now, now + options.claimTimeoutMs, options.batchSize);
      if (ids.length === 0) break;
      run.claimed += ids.length;
      const leases = await store.getMany(ids);
      const starts: Promise<void>[] = [];
      await Promise.all(leases.map(async (lease, i) => {
        if (!lease) return void (await store.remove(ids[i])); // a leftover index entry
        // One owner at a time: an expired lease is taken from renewals before it is revoked, and
        // one renewed since it fell due (or being renewed now) is given back.
        if (!lease.revoking) {
          const took = await store.take(lease.id, clock());
          if (took === 'gone') return void (await store.remove(lease.id));
          if (took !== 'taken') return;
        }
        starts.push(new Promise((started) => revocations.push(this.limitFor(limits, lease)(() => {
          started();
          return this.revokeOne(lease, run);
        }))));
      }));
      if (ids.length < options.batchSize || this.stopped || clock() - started > options.maxRunMs) break;
      await Promise.all(starts);
    }
    await Promise.all(revocations);
    await this.runJobs(run);
    return run;
  }

  private limitFor(limits: Map<string, LimitFunction>, lease: LeaseRecord): LimitFunction {
    const key = `${lease.mount}\u0000${lease.plugin}\u0000${lease.config}`;
    let limit = limits.get(key);
    if (!limit) limits.set(key, (limit = pLimit(this.deps.options.concurrencyPerConfig)));
    return limit;
  }

  private async revokeOne(lease: LeaseRecord, run: ReaperRun): Promise<void> {
    await this.deps.options.beforeRevoke?.(lease);
    const outcome = await this.deps.revoker.revoke(lease).catch((err) => {
      // The store itself failed (Redis down): the claim times out and a later sweep retries.
      this.deps.log.warn({ err, leaseId: lease.id }, 'could not record a revocation outcome');
      return 'retry' as const;
    });
    if (outcome === 'revoked') run.revoked++;
    else run.failed++;
  }

  private async runJobs(run: ReaperRun): Promise<void> {
    const runner = this.deps.jobs?.();
    if (!runner) return;
    const { store, clock, options, log } = this.deps;
    const now = clock();
    const claimUntil = now + options.claimTimeoutMs;
    const members = await store.claimJobs(now, claimUntil, options.batchSize);
    const limit = pLimit(options.concurrencyPerConfig);
    await Promise.all(members.map((member) => limit(async () => {
      try {
        await runner.runJob(member);
        await store.jobDone(member, claimUntil);
        run.jobs++;
      } catch (err) {
        log.warn({ job: member, error: err instanceof Error ? err.message : String(err) }, 'scheduled job failed; will retry');
        await store.scheduleJob(member, clock() + options.jobRetryMs).catch(() => {});
      }
    })));
  }
}
