import { EventEmitter } from 'node:events';
import type { LessorClient } from './client.js';
import { isStatus, isTransient } from './errors.js';

/** One issued set of credentials and what lessor said about its lease. */
export interface Credential<T = Record<string, unknown>> {
  leaseId: string;
  /** The secret's data; undefined for an adopted lease (lookup never returns secrets). */
  data: T | undefined;
  /** TTL granted by the last issue or renewal, in seconds. */
  leaseDuration: number;
  renewable: boolean;
  /** When the lease ends unless renewed (ms since epoch). */
  expiresAt: number;
  adopted: boolean;
  /** The client's token generation when this was issued or adopted (see LessorClient.tokenGeneration). */
  tokenGeneration: number;
}

export interface LeaseOptions {
  /** Seconds asked for on each renewal; default: the TTL of the first issue. */
  increment?: number;
  /** Renew when this fraction of the granted TTL has passed (default 2/3). */
  renewAt?: number;
  /** An existing lease to keep instead of issuing a new one, if lessor says it is still live. */
  adopt?: { leaseId: string; leaseDuration?: number };
}

export type RotationReason = 'max ttl' | 'not renewable' | 'renewal refused' | 'expired' | 'token replaced' | 'forced';

export interface LeaseEvents<T> {
  renewed: [Credential<T>];
  /** New credentials replaced `previous`; revoke it once nothing uses it any more. */
  rotated: [{ previous: Credential<T>; current: Credential<T>; reason: RotationReason }];
  /** The current lease cannot be extended any further; new credentials are being fetched. */
  expiring: [Credential<T>];
  /** A background renewal or fetch failed; the lease keeps trying. Emitted only if listened to. */
  error: [Error];
}

/**
 * Keeps credentials for one path valid for as long as it runs: renews at two thirds of the
 * TTL and, when lessor refuses or caps a renewal (max TTL near), fetches new credentials and
 * emits `rotated`. Timers keep the process alive until stop(), as an open pool would.
 */
export class Lease<T = Record<string, unknown>> extends EventEmitter<LeaseEvents<T>> {
  current: Credential<T> | undefined;
  private increment: number | undefined;
  private readonly renewAt: number;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<Credential<T>> | undefined;
  private rotating: Promise<Credential<T>> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly client: LessorClient, readonly path: string, private readonly opts: LeaseOptions = {}) {
    super();
    this.increment = opts.increment;
    this.renewAt = opts.renewAt ?? 2 / 3;
  }

  /** The first credentials (adopted or new); later calls return the same promise. */
  start(): Promise<Credential<T>> {
    this.starting ??= (async () => {
      this.client.on('login', this.onLogin);
      const adopted = this.opts.adopt ? await this.tryAdopt(this.opts.adopt) : undefined;
      if (adopted) {
        this.current = adopted;
        if (adopted.capped) return this.rotate('max ttl');
        this.schedule(this.delay(adopted));
        return adopted;
      }
      this.current = await this.fetch();
      this.schedule(this.delay(this.current));
      return this.current;
    })();
    // A failed start leaves nothing behind (callers retry with a new Lease).
    this.starting.catch(() => { if (!this.current) this.client.off('login', this.onLogin); });
    return this.starting;
  }

  /** New credentials now (e.g. after the database refused the current ones); concurrent calls share one fetch. */
  rotate(reason: RotationReason = 'forced'): Promise<Credential<T>> {
    this.rotating ??= this.replace(reason).finally(() => { this.rotating = undefined; });
    return this.rotating;
  }

  /** Stops renewing. Revokes nothing: the owner decides (pools revoke after draining). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.client.off('login', this.onLogin);
  }

  /**
   * lessor revokes a token's leases when the token ends. The client logs in again before its
   * token runs out (or after a 403, when it already has): credentials issued under the old token
   * are replaced now, while they still work, instead of being lost with it.
   */
  private readonly onLogin = ({ replaced }: { replaced: boolean }) => {
    const cur = this.current;
    if (!replaced || this.stopped || !cur || cur.tokenGeneration === this.client.tokenGeneration) return;
    void this.rotate('token replaced').catch(() => {});
  };

  private async fetch(): Promise<Credential<T>> {
    const res = await this.client.read<T>(this.path);
    this.increment ??= res.lease_duration;
    return {
      leaseId: res.lease_id, data: res.data ?? undefined, leaseDuration: res.lease_duration,
      renewable: res.renewable, expiresAt: Date.now() + res.lease_duration * 1000, adopted: false,
      tokenGeneration: this.client.tokenGeneration,
    };
  }

  private async tryAdopt(a: { leaseId: string; leaseDuration?: number }): Promise<(Credential<T> & { capped: boolean }) | undefined> {
    try {
      const info = await this.client.lookup(a.leaseId);
      if (!(info.ttl > 0)) return undefined;
      this.increment ??= a.leaseDuration ?? info.ttl;
      const r = await this.client.renew(a.leaseId, this.increment);
      return {
        leaseId: a.leaseId, data: undefined, leaseDuration: r.lease_duration, renewable: r.renewable,
        expiresAt: Date.now() + r.lease_duration * 1000, adopted: true, tokenGeneration: this.client.tokenGeneration,
        capped: !r.renewable || r.lease_duration < this.increment,
      };
    } catch (err) {
      if (isTransient(err)) throw err;
      return undefined; // unknown, expired, revoked, or not ours to renew: issue a new one
    }
  }

  private delay(c: Credential<T>): number {
    return c.leaseDuration * 1000 * this.renewAt;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped || !this.current || this.current.leaseDuration <= 0) return;
    this.timer = setTimeout(() => void this.tick(), Math.max(50, ms));
  }

  private async tick(): Promise<void> {
    const cur = this.current;
    if (!cur || this.stopped || this.rotating) return;
    if (!cur.renewable) return void this.rotate('not renewable').catch(() => {});
    try {
      const r = await this.client.renew(cur.leaseId, this.increment);
      if (this.current !== cur) return; // rotated while the renewal was in flight
      cur.leaseDuration = r.lease_duration;
      cur.renewable = r.renewable;
      cur.expiresAt = Date.now() + r.lease_duration * 1000;
      this.failures = 0;
      this.emit('renewed', cur);
      // Capped by the role's max TTL (or no longer renewable): replace it while it still works.
      if (!r.renewable || r.lease_duration < (this.increment ?? 0)) return void this.rotate('max ttl').catch(() => {});
      this.schedule(this.delay(cur));
    } catch (err) {
      if (this.current !== cur) return;
      if (!isTransient(err) || cur.expiresAt <= Date.now()) {
        const reason = isStatus(err, 404) || cur.expiresAt <= Date.now() ? 'expired' : 'renewal refused';
        return void this.rotate(reason).catch(() => {});
      }
      this.report(err as Error);
      this.schedule(this.backoff(cur));
    }
  }

  private async replace(reason: RotationReason): Promise<Credential<T>> {
    clearTimeout(this.timer);
    const previous = this.current;
    if (previous) this.emit('expiring', previous);
    try {
      const next = await this.fetch();
      this.failures = 0;
      this.current = next;
      if (previous) this.emit('rotated', { previous, current: next, reason });
      this.schedule(this.delay(next));
      return next;
    } catch (err) {
      this.report(err as Error);
      // Keep trying in the background; the caller of rotate() still hears about this failure.
      if (previous) {
        const t = setTimeout(() => void this.rotate(reason).catch(() => {}), this.backoff(previous));
        this.timer = t;
      }
      throw err;
    }
  }

  /** Exponential from 500 ms with jitter, never more than a quarter of what is left of the lease. */
  private backoff(c: Credential<T>): number {
    this.failures++;
    const exp = Math.min(30_000, 500 * 2 ** (this.failures - 1));
    const left = Math.max(0, c.expiresAt - Date.now());
    return Math.max(200, Math.min(exp, left / 4) * (0.8 + Math.random() * 0.4));
  }

  private report(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
