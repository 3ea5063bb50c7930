import type { Logger } from 'pino';
import type { AccessControl } from '../auth/access.js';
import type { Sealer } from '../crypto/sealer.js';
import type { Metrics } from '../metrics.js';
import type { RedisClient } from '../redis/client.js';
import type { RedisKeys } from '../redis/keys.js';
import { createLeaseMetrics } from './lease-metrics.js';
import { DEFAULT_BACKOFF, LeaseRevoker, type BackoffOptions, type LeaseEngines } from './lease-revoker.js';
import { DEFAULT_LEASE_OPTIONS, LeaseService, type LeaseServiceOptions } from './lease-service.js';
import type { LeaseStore } from './lease-store.js';
import { MemoryLeaseStore } from './memory-lease-store.js';
import { DEFAULT_REAPER_OPTIONS, Reaper, type JobRunner, type ReaperOptions } from './reaper.js';
import { RedisLeaseStore } from './redis-lease-store.js';
import { guardStore } from './store-guard.js';
import { TargetRecovery } from './target-recovery.js';

/** Knobs tests (and operators, through the runtime) turn: TTL defaults, claims, backoff. */
export interface LeaseTuning {
  lease?: Partial<LeaseServiceOptions>;
  reaper?: Partial<ReaperOptions>;
  backoff?: Partial<BackoffOptions>;
}

export interface LeaseSystem {
  store: LeaseStore;
  service: LeaseService;
  reaper: Reaper;
}

/** Builds the lease store (Redis when there is one; memory only for dev), service and reaper. */
export function createLeaseSystem(deps: {
  redis?: RedisClient;
  keys: RedisKeys;
  sealer: Sealer;
  access: () => AccessControl;
  tokenAncestors?: (tokenId: string) => Promise<string[] | undefined>;
  engines: () => LeaseEngines & JobRunner;
  metrics: Metrics;
  log: Logger;
  clock: () => number;
  reaperIntervalMs: number;
  tuning?: LeaseTuning;
}): LeaseSystem {
  const store: LeaseStore = deps.redis ? guardStore(new RedisLeaseStore(deps.redis, deps.keys)) : new MemoryLeaseStore(deps.clock);
  const leaseMetrics = createLeaseMetrics(deps.metrics, store);
  const options = { ...DEFAULT_LEASE_OPTIONS, ...deps.tuning?.lease };
  const reaperOptions: ReaperOptions = {
    ...DEFAULT_REAPER_OPTIONS,
    claimTimeoutMs: options.claimTimeoutMs,
    intervalMs: deps.reaperIntervalMs,
    ...deps.tuning?.reaper,
  };
  const log = deps.log.child({ component: 'leases' });
  const revoker = new LeaseRevoker({
    store, engines: deps.engines, clock: deps.clock, log, metrics: leaseMetrics,
    backoff: { ...DEFAULT_BACKOFF, ...deps.tuning?.backoff },
    // Half the claim: a slow revoke gives up well before another replica may take the lease.
    timeoutMs: Math.max(100, Math.floor(reaperOptions.claimTimeoutMs / 2)),
  });
  const service = new LeaseService({
    store, revoker, engines: deps.engines, sealer: deps.sealer, access: deps.access, tokenAncestors: deps.tokenAncestors, clock: deps.clock, log,
    metrics: leaseMetrics, options: { ...options, claimTimeoutMs: reaperOptions.claimTimeoutMs },
  });
  const recovery = new TargetRecovery({ store, engines: deps.engines, clock: deps.clock, log, probeIntervalMs: reaperOptions.probeIntervalMs });
  const reaper = new Reaper({ store, revoker, jobs: deps.engines, clock: deps.clock, log, metrics: leaseMetrics, options: reaperOptions, recovery });
  return { store, service, reaper };
}
