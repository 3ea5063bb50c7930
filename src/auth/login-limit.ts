import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { RedisClient } from '../redis/client.js';
import type { RedisKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { rateLimited, unavailable } from '../errors.js';

/**
 * Login throttling for every credential login (userpass, AppRole), checked before any secret is
 * looked at so a flood costs nothing. Failures count against the pair (subject, address), where
 * the subject is the username or role ID: after `failuresPerSubject` the pair is locked out for
 * `lockoutMs`, as Vault's user lockout (threshold 5, 15 minutes), but only for that address, so
 * guesses from one place never lock the real user out of a correct login from another. Each
 * address also has a looser bound on failures over all subjects, and optionally on attempts
 * (userpass pays for an argon2 hash per attempt), and at most `maxInFlight` logins of a pair are
 * checked at once, so a burst of guesses (which all see no failures yet) gets that many.
 * The counts are shared by all replicas through Redis; `lessor dev` keeps them in memory.
 */
export interface LoginLimits {
  /** Window of the per-address counts. */
  windowMs: number;
  /** Attempts per address per window, failed or not; 0 for no bound. */
  attemptsPerAddress: number;
  failuresPerAddress: number;
  failuresPerSubject: number;
  lockoutMs: number;
  maxInFlight: number;
}

export const USERPASS_LOGIN_LIMITS: LoginLimits = {
  windowMs: 60_000,
  attemptsPerAddress: 30,
  failuresPerAddress: 30,
  failuresPerSubject: 5,
  lockoutMs: 15 * 60_000,
  maxInFlight: 16,
};

/**
 * Machines behind one NAT log in often and all at once with one role ID: only failures count per
 * address, and more logins of a pair may be checked together (a secret ID is 256 random bits, so
 * the burst cap is there to bound work, not guessing odds).
 */
export const APPROLE_LOGIN_LIMITS: LoginLimits = { ...USERPASS_LOGIN_LIMITS, attemptsPerAddress: 0, failuresPerAddress: 20, maxInFlight: 64 };

/** `error`: a dependency failed, which is not the caller's failure. */
export type LoginOutcome = 'ok' | 'failed' | 'error';

export interface LoginLimiter {
  /** Counts an attempt; throws 429 when the address or the (subject, address) pair is over a limit. */
  attempt(ip: string, subject: string): Promise<void>;
  /** An admitted attempt is done. */
  done(ip: string, subject: string, outcome: LoginOutcome): Promise<void>;
}

const TOO_MANY = 'too many login attempts from this address; try again later';

/**
 * The source a limit counts: an IPv4 address (an IPv4-mapped IPv6 one as plain IPv4), or the /64
 * an IPv6 address lies in. One host is handed a whole /64 (SLAAC, privacy addresses), so counting
 * full IPv6 addresses would give a guesser 2^64 fresh addresses, each with its own five guesses.
 */
export function limitSource(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIP(mapped[1]) === 4) return mapped[1];
  if (isIP(ip) !== 6) return ip;
  const bare = ip.split('%')[0].toLowerCase();
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** A role ID is any string the caller sends: keys carry its digest, never the value or its length. */
const digest = (subject: string) => createHash('sha256').update(subject, 'utf8').digest('base64url');

export class RedisLoginLimiter implements LoginLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly method: string,
    private readonly limits: LoginLimits,
  ) {}

  private addressKey(kind: string, ip: string): string {
    return this.keys.key('login', this.method, kind, encodeURIComponent(ip));
  }

  private pairKeys(ip: string, subject: string): string[] {
    const pair = `${digest(subject)}:${encodeURIComponent(ip)}`;
    return [this.keys.key('login', this.method, 'fail', pair), this.keys.key('login', this.method, 'inflight', pair)];
  }

  async attempt(address: string, subject: string): Promise<void> {
    const ip = limitSource(address);
    const l = this.limits;
    let over: number;
    try {
      over = await runScript<number>(
        this.redis,
        'loginLimit',
        [this.addressKey('ip', ip), this.addressKey('ip-fail', ip), ...this.pairKeys(ip, subject)],
        [l.windowMs, l.attemptsPerAddress, l.failuresPerAddress, l.failuresPerSubject, l.maxInFlight],
      );
    } catch (err) {
      throw unavailable('the rate limiter (Redis) is unreachable', err);
    }
    if (over) throw rateLimited(TOO_MANY);
  }

  async done(address: string, subject: string, outcome: LoginOutcome): Promise<void> {
    const ip = limitSource(address);
    try {
      await runScript(this.redis, 'loginDone', [this.addressKey('ip-fail', ip), ...this.pairKeys(ip, subject)], [
        outcome,
        this.limits.windowMs,
        this.limits.lockoutMs,
      ]);
    } catch {
      // Not counting one failure is better than failing the answer; attempt() fails closed.
    }
  }
}

interface Count {
  n: number;
  until: number;
}

export class MemoryLoginLimiter implements LoginLimiter {
  private counts = new Map<string, Count>();
  private inFlight = new Map<string, number>();

  constructor(private readonly limits: LoginLimits, private readonly now: () => number = Date.now) {}

  /** The live count under key (0 once its window is over); `by` starts a window when none is live. */
  private bump(key: string, by: number, windowMs: number): number {
    const t = this.now();
    let c = this.counts.get(key);
    if (c && c.until <= t) {
      this.counts.delete(key);
      c = undefined;
    }
    if (by === 0) return c?.n ?? 0;
    if (!c) this.counts.set(key, (c = { n: 0, until: t + windowMs }));
    c.n += by;
    if (this.counts.size > 10_000) for (const [k, v] of this.counts) if (v.until <= t) this.counts.delete(k);
    return c.n;
  }

  private pair = (ip: string, subject: string) => `${digest(subject)}\u0000${ip}`;

  async attempt(address: string, subject: string): Promise<void> {
    const ip = limitSource(address);
    const l = this.limits;
    if (l.attemptsPerAddress > 0 && this.bump(`ip\u0000${ip}`, 1, l.windowMs) > l.attemptsPerAddress) throw rateLimited(TOO_MANY);
    const pair = this.pair(ip, subject);
    const inFlight = this.inFlight.get(pair) ?? 0;
    if (
      this.bump(`ip-fail\u0000${ip}`, 0, l.windowMs) >= l.failuresPerAddress ||
      this.bump(`fail\u0000${pair}`, 0, l.lockoutMs) >= l.failuresPerSubject ||
      inFlight >= l.maxInFlight
    ) {
      throw rateLimited(TOO_MANY);
    }
    this.inFlight.set(pair, inFlight + 1);
  }

  async done(address: string, subject: string, outcome: LoginOutcome): Promise<void> {
    const ip = limitSource(address);
    const pair = this.pair(ip, subject);
    const left = (this.inFlight.get(pair) ?? 1) - 1;
    if (left > 0) this.inFlight.set(pair, left);
    else this.inFlight.delete(pair);
    if (outcome === 'ok') this.counts.delete(`fail\u0000${pair}`);
    if (outcome !== 'failed') return;
    this.bump(`ip-fail\u0000${ip}`, 1, this.limits.windowMs);
    this.bump(`fail\u0000${pair}`, 1, this.limits.lockoutMs);
  }
}
