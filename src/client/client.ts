import { EventEmitter } from 'node:events';
import pRetry from 'p-retry';
import { loginFor, type Login } from './auth.js';
import { isStatus, isTransient } from './errors.js';
import { Lease, type LeaseOptions } from './lease.js';
import { request } from './transport.js';
import type { AuthInfo, LeaseLookup, LessorClientOptions, RenewAnswer, RetryOptions, VaultResponse } from './types.js';

export interface ClientEvents {
  /**
   * After every successful login (never carries the token itself). `replaced`: an earlier token
   * existed, and leases it created end when it does (lessor cascades token expiry to leases).
   */
  login: [{ accessor?: string; ttl: number; policies: string[]; replaced: boolean }];
  tokenRenewed: [{ accessor?: string; ttl: number }];
  /** A background token renewal or re-login failed; the client keeps trying. */
  authError: [Error];
}

/**
 * A Vault-style client for lessor's public HTTP API. It owns the token: it logs in lazily with
 * AppRole or JWT, renews the token at two thirds of its TTL (logging in again when renewal is
 * refused or capped), logs in again once after a 403, and retries 503s and connection errors
 * with exponential backoff and jitter.
 */
export class LessorClient extends EventEmitter<ClientEvents> {
  readonly address: string;
  private token: string | undefined;
  private accessor: string | undefined;
  private readonly loginFn: Login | undefined;
  private loggingIn: Promise<string> | undefined;
  private tokenTimer: NodeJS.Timeout | undefined;
  private readonly retry: Required<RetryOptions>;
  private readonly timeoutMs: number;
  private closed = false;
  private generation = 0;

  constructor(opts: LessorClientOptions) {
    super();
    this.setMaxListeners(0); // one listener per Lease; many leases on one client are normal
    if (!opts.address) throw new TypeError('LessorClient needs an address');
    this.address = opts.address;
    this.loginFn = loginFor(opts);
    if ('token' in opts) this.token = opts.token;
    this.retry = { retries: 4, minTimeoutMs: 200, maxTimeoutMs: 5000, ...opts.retry };
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  read<T = Record<string, unknown>>(path: string): Promise<VaultResponse<T>> {
    return this.call<VaultResponse<T>>('GET', path).then(required(path));
  }

  /** PUT, as Vault's own CLI writes; lessor treats PUT and POST alike. */
  async write<T = Record<string, unknown>>(path: string, body: Record<string, unknown> = {}): Promise<VaultResponse<T> | undefined> {
    return this.call<VaultResponse<T>>('PUT', path, { body });
  }

  /** Names under data.keys; an empty list when lessor answers 404 (nothing there), like Vault's CLI. */
  async list(path: string): Promise<string[]> {
    try {
      const res = await this.call<VaultResponse<{ keys?: string[] }>>('GET', path, { list: true });
      return res?.data?.keys ?? [];
    } catch (err) {
      if (isStatus(err, 404)) return [];
      throw err;
    }
  }

  async delete(path: string): Promise<void> {
    await this.call('DELETE', path);
  }

  /** Vault answers renewals at top level: the TTL actually granted is lease_duration. */
  async renew(leaseId: string, increment?: number): Promise<RenewAnswer> {
    const body = increment === undefined ? { lease_id: leaseId } : { lease_id: leaseId, increment };
    const res = await this.call<RenewAnswer & VaultResponse>('PUT', 'sys/leases/renew', { body });
    return required<RenewAnswer>('sys/leases/renew')(res);
  }

  async revoke(leaseId: string): Promise<void> {
    await this.call('PUT', 'sys/leases/revoke', { body: { lease_id: leaseId } });
  }

  async lookup(leaseId: string): Promise<LeaseLookup> {
    const res = await this.call<VaultResponse<LeaseLookup>>('PUT', 'sys/leases/lookup', { body: { lease_id: leaseId } });
    const data = res?.data;
    if (!data) throw new Error(`sys/leases/lookup: answer has no data`);
    return data;
  }

  /** A lease on `path` kept alive in the background; call start() to fetch the first one. */
  lease<T = Record<string, unknown>>(path: string, opts: LeaseOptions = {}): Lease<T> {
    return new Lease<T>(this, path, opts);
  }

  /** Log in now (instead of lazily at the first request). Throws what the login threw. */
  async login(): Promise<{ accessor?: string }> {
    await this.relogin(this.token);
    return { accessor: this.accessor };
  }

  /** Increments on every login: leases remember the one they were issued under. */
  get tokenGeneration(): number {
    return this.generation;
  }

  /** The token's accessor, safe to log (the token itself never leaves the client). */
  get tokenAccessor(): string | undefined {
    return this.accessor;
  }

  /** Stops background token renewal. Does not revoke anything. */
  close(): void {
    this.closed = true;
    clearTimeout(this.tokenTimer);
  }

  private async call<T>(method: string, path: string, opts: { body?: unknown; list?: boolean } = {}): Promise<T | undefined> {
    const token = this.token ?? (await this.relogin(undefined));
    try {
      return await this.send<T>(method, path, { ...opts, token });
    } catch (err) {
      if (!isStatus(err, 403) || !this.loginFn) throw err;
      // A 403 is also "your policy does not allow this": only a dead token is worth a new login
      // (a new login replaces every lease issued under the old token).
      if (token === this.token && (await this.tokenAlive(token))) throw err;
      const fresh = await this.relogin(token);
      return this.send<T>(method, path, { ...opts, token: fresh });
    }
  }

  /** lookup-self answers any live token (lessor's default policy, as Vault's). */
  private async tokenAlive(token: string): Promise<boolean> {
    try {
      await this.send('GET', 'auth/token/lookup-self', { token });
      return true;
    } catch (err) {
      if (isStatus(err, 403)) return false;
      throw err;
    }
  }

  private send<T>(method: string, path: string, opts: { body?: unknown; list?: boolean; token?: string }): Promise<T | undefined> {
    return pRetry(() => request<T>(this.address, method, path, { ...opts, timeoutMs: this.timeoutMs }), {
      retries: this.retry.retries,
      minTimeout: this.retry.minTimeoutMs,
      maxTimeout: this.retry.maxTimeoutMs,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => isTransient(error),
    });
  }

  /** One login at a time; a caller holding a stale token gets the new one instead of a second login. */
  private relogin(stale: string | undefined): Promise<string> {
    if (this.token !== undefined && this.token !== stale) return Promise.resolve(this.token);
    if (!this.loginFn) {
      return Promise.reject(new TypeError('LessorClient has a static token and no credentials to log in with'));
    }
    this.loggingIn ??= this.loginFn((path, body) => this.send<VaultResponse>('PUT', path, { body }))
      .then((auth) => this.adopt(auth))
      .finally(() => { this.loggingIn = undefined; });
    return this.loggingIn;
  }

  private adopt(auth: AuthInfo): string {
    this.token = auth.client_token;
    this.accessor = auth.accessor;
    const replaced = this.generation > 0;
    this.generation++;
    this.emit('login', { accessor: auth.accessor, ttl: auth.lease_duration, policies: auth.policies ?? [], replaced });
    this.scheduleTokenCare(auth.lease_duration, auth.renewable, auth.lease_duration);
    return auth.client_token;
  }

  /** At two thirds of the token's TTL: renew it, or log in again if it cannot be renewed enough. */
  private scheduleTokenCare(ttl: number, renewable: boolean, increment: number): void {
    clearTimeout(this.tokenTimer);
    if (this.closed || !this.loginFn || ttl <= 0) return;
    this.tokenTimer = setTimeout(() => void this.tokenCare(renewable, increment, ttl), (ttl * 1000 * 2) / 3);
    this.tokenTimer.unref();
  }

  private async tokenCare(renewable: boolean, increment: number, lastTtl: number): Promise<void> {
    const token = this.token;
    try {
      if (renewable) {
        const res = await this.send<VaultResponse>('PUT', 'auth/token/renew-self', { body: { increment }, token });
        const granted = res?.auth?.lease_duration ?? 0;
        if (res?.auth && granted >= increment) {
          this.emit('tokenRenewed', { accessor: this.accessor, ttl: granted });
          this.scheduleTokenCare(granted, res.auth.renewable, increment);
          return;
        }
      }
    } catch (err) {
      this.emit('authError', err as Error);
    }
    // Not renewable, capped by the token's max TTL, or refused: a new login before the old one ends.
    try {
      await this.relogin(token);
    } catch (err) {
      this.emit('authError', err as Error);
      // Try again in a third of the time that was left; the next request will also try.
      this.scheduleTokenCare(Math.max(1, lastTtl / 3), false, increment);
    }
  }
}

function required<T>(path: string): (res: T | undefined) => T {
  return (res) => {
    if (res === undefined) throw new Error(`${path}: empty answer`);
    return res;
  };
}
