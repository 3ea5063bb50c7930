import type { Logger } from 'pino';
import { errorKind, type LeaseEngines } from './lease-revoker.js';
import type { LeaseStore } from './lease-store.js';

/**
 * Revocations that failed because their target did not answer wait on it instead of on their
 * own backoff. While a target is marked down (the revoker marks it, in the lease store, so every
 * replica sees it), each replica probes it every `probeIntervalMs`; the first probe that
 * succeeds makes its parked revocations due now, so the next sweep runs them. Otherwise a lease
 * that fell due in an outage would wait out a backoff grown during it (10 s, 20 s, 40 s …), and a
 * MySQL user, which has no VALID UNTIL, would keep working all that time.
 */
export class TargetRecovery {
  private readonly inFlight = new Map<string, Promise<number>>();
  private readonly lastProbe = new Map<string, number>();

  constructor(
    private readonly deps: {
      store: LeaseStore;
      engines: () => LeaseEngines;
      clock: () => number;
      log: Logger;
      probeIntervalMs: number;
    },
  ) {}

  /**
   * Probes every down target this replica has not probed in the last interval (one probe per
   * target at a time). Resolves, with how many revocations were released, when those probes
   * are done; the reaper does not wait for it, since a probe of a dead host may take the
   * engine's whole connect timeout.
   */
  async probeDue(): Promise<number> {
    const { store, clock, probeIntervalMs } = this.deps;
    const down = await store.downTargets();
    const now = clock();
    for (const target of this.lastProbe.keys()) if (!down.has(target)) this.lastProbe.delete(target);
    const probes: Promise<number>[] = [];
    for (const [target, since] of down) {
      const running = this.inFlight.get(target);
      if (running) {
        probes.push(running);
        continue;
      }
      const last = this.lastProbe.get(target);
      if (last !== undefined && now - last < probeIntervalMs) continue;
      this.lastProbe.set(target, now);
      const p = this.probe(target, since).finally(() => this.inFlight.delete(target));
      this.inFlight.set(target, p);
      probes.push(p);
    }
    return (await Promise.all(probes)).reduce((a, b) => a + b, 0);
  }

  private async probe(target: string, since: number): Promise<number> {
    const { store, clock, log } = this.deps;
    const cut = target.lastIndexOf('|');
    const mount = target.slice(0, cut);
    const config = target.slice(cut + 1);
    try {
      await this.deps.engines().probe(mount, config);
    } catch (err) {
      // A config deleted meanwhile will never answer: its leases go back to their own retries.
      if (errorKind(err) !== 'not_found') {
        log.debug({ mount, config, error: err instanceof Error ? err.message : String(err) }, 'target still unreachable');
        return 0;
      }
    }
    const released = await store.releaseTarget(target, clock()).catch((err: unknown) => {
      log.warn({ mount, config, err }, 'could not release revocations waiting for a target');
      return 0;
    });
    log.info({ mount, config, released, downForMs: Math.max(0, clock() - since) }, 'target answers again; its waiting revocations run now');
    return released;
  }
}
