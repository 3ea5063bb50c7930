import type { EventEmitter } from 'node:events';

export interface PoolOwnerEvents {
  rotated: [{ previousLeaseId: string; leaseId: string; username?: string; reason: string }];
  /** The old lease was revoked after its pool drained. */
  revoked: [{ leaseId: string }];
  /** A lease renewal, fetch or revocation failed in the background (the pool keeps working). */
  leaseError: [Error];
  /** Forwarded from the driver's pool (idle connection errors), only if someone listens. */
  error: [Error];
}

/**
 * Resolves once `idle()` is true, re-checking whenever the driver's pool hands out or takes
 * back a connection. Event-driven: no polling loop, so an idle pool retires at once.
 */
export function retireWhenIdle(pool: EventEmitter, idle: () => boolean): Promise<void> {
  if (idle()) return Promise.resolve();
  return new Promise((resolve) => {
    const events = ['acquire', 'release', 'remove'];
    const check = () => setImmediate(() => {
      if (!idle()) return;
      for (const e of events) pool.off(e, check);
      resolve();
    });
    for (const e of events) pool.on(e, check);
  });
}
