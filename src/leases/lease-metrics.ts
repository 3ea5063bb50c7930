import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../metrics.js';
import type { LeaseStore } from './lease-store.js';

/** Lease metrics on the runtime's registry. Gauges read the shared store, so every replica agrees. */
export interface LeaseMetrics {
  issued: Counter<'mount'>;
  renewed: Counter<'mount'>;
  revoked: Counter<'mount'>;
  revocationFailures: Counter<'mount' | 'kind'>;
  reaperLag: Histogram<string>;
}

export function createLeaseMetrics(metrics: Metrics, store: LeaseStore): LeaseMetrics {
  const registers = [metrics.registry];
  new Gauge({
    name: 'lessor_leases_active',
    help: 'Live leases (pending, active or being revoked) by mount and role',
    labelNames: ['mount', 'role'],
    registers,
    async collect() {
      this.reset();
      try {
        for (const [field, n] of Object.entries(await store.counts())) {
          const i = field.indexOf('|');
          this.set({ mount: field.slice(0, i), role: field.slice(i + 1) }, n);
        }
      } catch {
        // Redis down: the scrape still answers; the health check reports the outage.
      }
    },
  });
  new Gauge({
    name: 'lessor_leases_irrevocable',
    help: 'Leases whose revocation failed for good; listed by sys/leases/irrevocable',
    registers,
    async collect() {
      try {
        this.set(await store.irrevocableCount());
      } catch {
        // as above
      }
    },
  });
  return {
    issued: new Counter({ name: 'lessor_leases_issued_total', help: 'Leases issued', labelNames: ['mount'], registers }),
    renewed: new Counter({ name: 'lessor_leases_renewed_total', help: 'Lease renewals', labelNames: ['mount'], registers }),
    revoked: new Counter({ name: 'lessor_leases_revoked_total', help: 'Leases revoked (credential deleted)', labelNames: ['mount'], registers }),
    revocationFailures: new Counter({
      name: 'lessor_lease_revocation_failures_total',
      help: 'Failed revocation attempts by engine error kind',
      labelNames: ['mount', 'kind'],
      registers,
    }),
    reaperLag: new Histogram({
      name: 'lessor_reaper_lag_seconds',
      help: 'Now minus the oldest due lease expiry, at each reaper sweep',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
  };
}
