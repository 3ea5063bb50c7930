import type { Logger } from 'pino';
import type { LeaseMetrics } from './lease-metrics.js';
import { targetOf, type LeaseRecord, type LeaseStore } from './lease-store.js';

/**
 * What the lease core needs from the engines, for a lease issued earlier (possibly by another
 * replica, possibly from a role deleted since): the engine is found from the lease's own copy of
 * mount, plugin, config and role. Errors carry an EngineError kind, with secrets scrubbed.
 */
export interface LeaseEngines {
  deleteCredential(lease: LeaseRecord): Promise<void>;
  /** Moves the credential's own expiry if the engine keeps one; a no-op otherwise. */
  updateCredential(lease: LeaseRecord, expiresAt: number): Promise<void>;
  /** Resolves if the config's target answers now (target-recovery.ts). */
  probe(mount: string, config: string): Promise<void>;
}

export interface BackoffOptions {
  /** First retry delay; doubles per attempt up to capMs. */
  baseMs: number;
  capMs: number;
  /** Attempts before the lease turns irrevocable (default 18, which spans about 24 h). */
  maxAttempts: number;
  /** ± fraction of the delay, so leases that failed together do not retry together. */
  jitter: number;
}

// 10 s doubling to 3 h: 10 attempts cover the first ~2.8 h, 7 more at 3 h each ≈ 24 h in all.
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 10_000, capMs: 3 * 3600_000, maxAttempts: 18, jitter: 0.2 };

export type RevokeOutcome = 'revoked' | 'retry' | 'irrevocable';

export function errorKind(err: unknown): string {
  const kind = (err as { kind?: unknown })?.kind;
  return typeof kind === 'string' ? kind : 'internal';
}

/** Runs one lease's revocation and records the outcome; shared by the reaper and sync revoke. */
export class LeaseRevoker {
  constructor(
    private readonly deps: {
      store: LeaseStore;
      engines: () => LeaseEngines;
      clock: () => number;
      log: Logger;
      metrics: LeaseMetrics;
      backoff: BackoffOptions;
      /** A revoke that takes longer counts as failed, so it cannot outlive the reaper's claim. */
      timeoutMs: number;
      random?: () => number;
    },
  ) {}

  nextDelay(attempts: number): number {
    const { baseMs, capMs, jitter } = this.deps.backoff;
    const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
    const r = this.deps.random ?? Math.random;
    return Math.max(1, Math.round(raw * (1 + jitter * (2 * r() - 1))));
  }

  /**
   * `failed` hears the engine's error, so a synchronous revoke can answer by its cause. `extra`:
   * this try is a caller's, between the reaper's scheduled ones, and a failure spends no attempt.
   */
  async revoke(lease: LeaseRecord, failed?: (err: unknown) => void, extra = false): Promise<RevokeOutcome> {
    const { store, log, metrics } = this.deps;
    try {
      await withTimeout(this.deps.engines().deleteCredential(lease), this.deps.timeoutMs);
    } catch (err) {
      failed?.(err);
      const kind = errorKind(err);
      const message = err instanceof Error ? err.message : String(err);
      metrics.revocationFailures.inc({ mount: lease.mount, kind });
      const now = this.deps.clock();
      const next = now + this.nextDelay(lease.attempts + (extra ? 0 : 1));
      const failKind = kind === 'unrecoverable' ? 'final' : extra ? 'extra' : 'attempt';
      const f = await store.fail(lease.id, now, next, this.deps.backoff.maxAttempts, message, failKind);
      if (f.gone) return 'revoked'; // revoke-force or another replica finished it meanwhile
      if (f.irrevocable) {
        log.error({ leaseId: lease.id, attempts: f.attempts, kind, error: message }, 'lease irrevocable: revocation keeps failing');
        return 'irrevocable';
      }
      log.warn({ leaseId: lease.id, attempts: f.attempts, kind, error: message, retryInMs: next - now }, 'lease revocation failed; will retry');
      // An unreachable target: the revocation also waits for it to answer again, which may be
      // long before its backoff runs out (target-recovery.ts).
      if (kind === 'unavailable') await store.targetDown(targetOf(lease), lease.id, next, now);
      return 'retry';
    }
    if (await store.remove(lease.id)) {
      metrics.revoked.inc({ mount: lease.mount });
      log.info({ leaseId: lease.id, credentialId: lease.credentialId }, 'lease revoked');
    }
    return 'revoked';
  }

  /** revoke-force: one best-effort delete, then the lease is forgotten whatever happened. */
  async forget(lease: LeaseRecord): Promise<boolean> {
    try {
      await withTimeout(this.deps.engines().deleteCredential(lease), this.deps.timeoutMs);
    } catch (err) {
      this.deps.log.warn({ leaseId: lease.id, error: err instanceof Error ? err.message : String(err) }, 'revoke-force: revocation failed; lease forgotten anyway');
    }
    return this.deps.store.remove(lease.id);
  }
}

/** Rejects with an 'unavailable' error once ms pass: an engine call never outlives its claim. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`revocation took longer than ${ms} ms`), { kind: 'unavailable' })), ms);
    p.then(
      (v) => { clearTimeout(timer); resolve(v); },
      (e) => { clearTimeout(timer); reject(e); },
    );
  });
}
