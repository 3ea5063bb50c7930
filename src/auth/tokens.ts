import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { badRequest, permissionDenied } from '../errors.js';
import { ipAllowed } from './cidr.js';
import type { StoredToken, TokenRecord, TokenStore } from './token-store.js';

/** Vault's system default and maximum token TTL (32 days). */
export const DEFAULT_TTL = 768 * 3600;
export const MAX_TTL = 768 * 3600;
export const TOKEN_PREFIX = 'lsr.';

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
/** 256 random bits behind a recognisable prefix (secret scanners can match `lsr.`). */
export const newToken = () => TOKEN_PREFIX + randomBytes(32).toString('base64url');
const newAccessor = () => randomBytes(18).toString('base64url');

export interface IssueRequest {
  /** The token this one is a child of; undefined for an orphan. */
  parent?: StoredToken;
  policies: string[];
  meta?: Record<string, string>;
  /** See TokenRecord.entityMeta: set by logins from the method's configuration, or the creator's. */
  entityMeta?: Record<string, string>;
  /** Seconds; undefined = default (or never, for a root-policy token). */
  ttl?: number;
  explicitMaxTtl?: number;
  /** Seconds: a periodic token (Vault's `period`), renewable indefinitely by that much at a time. */
  period?: number;
  renewable?: boolean;
  numUses?: number;
  boundCidrs?: string[];
  displayName: string;
  entityName: string;
  path: string;
  /** A chosen token value (root bootstrap); otherwise a new random one. */
  token?: string;
  /** The token role it is created through. */
  role?: string;
}

export interface Issued {
  token: string;
  record: TokenRecord;
  expireTime: number;
  warnings: string[];
}

/**
 * What a revoke-orphan cut: the revoked token's children, now orphans, and the ids their
 * subtree no longer descends from (the revoked token and everything above it).
 */
export interface Orphaned {
  children: string[];
  cutFrom: string[];
}

/** `orphaned` is set for revoke-orphan, whose `tokenIds` is the one revoked token. */
export type RevokedListener = (tokenIds: string[], orphaned?: Orphaned) => Promise<void> | void;

export class TokenService {
  private listeners: RevokedListener[] = [];

  constructor(
    private readonly store: TokenStore,
    private readonly log: Logger,
    readonly now: () => number = Date.now,
  ) {}

  /** Called with the ids of every token a revocation removed (the leases engineer revokes their leases). */
  onRevoked(fn: RevokedListener): void {
    this.listeners.push(fn);
  }

  async issue(req: IssueRequest): Promise<Issued> {
    const now = this.now();
    const policies = [...new Set(req.policies)].sort();
    const warnings: string[] = [];
    let period = req.period ?? 0;
    if (period > MAX_TTL) {
      warnings.push(`period of "${period}s" exceeded the system max TTL of "${MAX_TTL}s"; period value is capped accordingly`);
      period = MAX_TTL;
    }
    const neverExpires = period === 0 && req.ttl === undefined && !req.explicitMaxTtl && policies.includes('root');
    const ttl = neverExpires ? 0 : period || Math.min(req.ttl || DEFAULT_TTL, MAX_TTL);
    let maxExpireTime = neverExpires ? 0 : maxExpireTimeOf(now, period, req.explicitMaxTtl ?? 0);
    let expireTime = ttl === 0 ? 0 : maxExpireTime === 0 ? now + ttl * 1000 : Math.min(now + ttl * 1000, maxExpireTime);
    // A child never outlives its parent, so an expired parent takes its children with it.
    const parentExpire = req.parent?.expireTime ?? 0;
    if (parentExpire > 0) {
      expireTime = expireTime === 0 ? parentExpire : Math.min(expireTime, parentExpire);
      maxExpireTime = maxExpireTime === 0 ? parentExpire : Math.min(maxExpireTime, parentExpire);
    }
    const token = req.token ?? newToken();
    const parent = req.parent?.record;
    const record: TokenRecord = {
      id: hashToken(token),
      accessor: newAccessor(),
      policies,
      parent: parent?.id ?? '',
      ancestors: parent ? [parent.id, ...parent.ancestors] : [],
      meta: req.meta ?? {},
      ...(req.entityMeta && Object.keys(req.entityMeta).length ? { entityMeta: req.entityMeta } : {}),
      displayName: req.displayName,
      entityName: req.entityName,
      path: req.path,
      creationTime: now,
      creationTtl: expireTime === 0 ? 0 : Math.round((expireTime - now) / 1000),
      explicitMaxTtl: req.explicitMaxTtl ?? 0,
      maxExpireTime,
      renewable: expireTime === 0 ? false : req.renewable ?? true,
      numUses: req.numUses ?? 0,
      boundCidrs: req.boundCidrs ?? [],
      ...(period ? { period } : {}),
      ...(req.role ? { role: req.role } : {}),
    };
    const outcome = await this.store.create(record, expireTime, now);
    if (outcome === 'parent-gone') throw permissionDenied('parent token is no longer valid');
    if (outcome === 'duplicate') throw badRequest('cannot create a token with a duplicate ID');
    // Debug: every login issues one, and the audit log records the request that did.
    this.log.debug({ accessor: record.accessor, policies, path: req.path }, 'token issued');
    return { token, record, expireTime, warnings };
  }

  /**
   * The live token for an id, or undefined (missing, expired, used up). `current` is for the
   * request that authenticated with it: its last use was taken, yet that request completes.
   */
  async lookup(id: string, opts: { current?: boolean } = {}): Promise<StoredToken | undefined> {
    const t = await this.store.get(id);
    if (!t || (t.usesLeft < 0 && !opts.current) || (t.expireTime > 0 && t.expireTime <= this.now())) return undefined;
    return t;
  }

  /** Accessors of the tokens in the store; an expired one stays listed until the sweep revokes it. */
  accessors(): Promise<string[]> {
    return this.store.accessors();
  }

  async lookupAccessor(accessor: string): Promise<StoredToken | undefined> {
    const id = await this.store.idByAccessor(accessor);
    return id ? this.lookup(id) : undefined;
  }

  /**
   * Resolves a presented token for a request: 403 for missing, unknown, expired, used-up or
   * CIDR-bound-elsewhere tokens. It takes no use: the caller takes one with takeUse once the
   * request is allowed, so a refused request leaves a limited-use token as it was.
   */
  async authenticate(token: string | undefined, ip: string): Promise<StoredToken> {
    if (!token) throw permissionDenied();
    const stored = await this.lookup(hashToken(token));
    if (!stored) throw permissionDenied();
    if (!ipAllowed(ip, stored.record.boundCidrs)) throw permissionDenied();
    return stored;
  }

  /**
   * Takes one use of a limited-use token (atomically: of racing requests on its last use exactly
   * one gets it); 403 if none is left. True when this was the final use: the token must be
   * revoked once the request is done.
   */
  async takeUse(stored: StoredToken): Promise<boolean> {
    if (stored.record.numUses === 0) return false;
    const use = await this.store.use(stored.record.id, this.now());
    if (!use.ok) throw permissionDenied();
    stored.usesLeft = use.usesLeft;
    return use.last;
  }

  /**
   * Sets the expiry to now + increment (or the original TTL), capped by max TTL and the parent.
   * As in Vault (expiration.go, RenewToken), a short increment shortens the token: the expiry is
   * set, not only moved later. A periodic token gets its period whatever the increment.
   * `role`: the token role it was made through, as it is now; as in Vault (token_store.go,
   * authRenew) its period and explicit max TTL replace the token's own, a period of 0 included
   * (the token then renews as a non-periodic one, within the system max TTL from its creation).
   */
  async renew(stored: StoredToken, incrementSec?: number, role?: { tokenPeriod: number; tokenExplicitMaxTtl: number }): Promise<StoredToken> {
    const r = stored.record;
    if (stored.expireTime === 0) return stored; // never expires: nothing to extend
    if (!r.renewable) throw badRequest('token is not renewable');
    const now = this.now();
    const period = Math.min(role ? role.tokenPeriod : r.period || 0, MAX_TTL);
    const cap = role ? maxExpireTimeOf(r.creationTime, period, role.tokenExplicitMaxTtl) : r.maxExpireTime;
    let expireTime = now + (period || incrementSec || r.creationTtl) * 1000;
    if (cap > 0) expireTime = Math.min(expireTime, cap);
    if (r.parent) {
      const parent = await this.store.get(r.parent);
      if (parent && parent.expireTime > 0) expireTime = Math.min(expireTime, parent.expireTime);
    }
    if (!(await this.store.renew(r.id, expireTime, now))) throw permissionDenied();
    this.log.info({ accessor: r.accessor, ttl: Math.round((expireTime - now) / 1000) }, 'token renewed');
    return { ...stored, expireTime, lastRenewal: now };
  }

  /** Revokes the token and every descendant; returns the revoked ids. Idempotent. */
  async revoke(id: string): Promise<string[]> {
    const revoked: string[] = [];
    const queue = [id];
    while (queue.length > 0) {
      const next = queue.shift()!;
      const rec = await this.store.remove(next);
      if (rec) {
        revoked.push(next);
        this.log.info({ accessor: rec.accessor }, 'token revoked');
      }
      queue.push(...(await this.store.children(next)));
      await this.store.dropChildren(next);
    }
    await this.notify(revoked);
    return revoked;
  }

  /**
   * Vault's revoke-orphan: revokes this token (and its leases) but not its children, which
   * become orphans; every descendant forgets the revoked token and those above it, so none of
   * them falls to a later revocation of a former ancestor. Idempotent.
   */
  async revokeOrphan(id: string): Promise<boolean> {
    // Removed first, as in revoke: no new child can be linked under it while the walk runs.
    const rec = await this.store.remove(id);
    if (!rec) return false;
    this.log.info({ accessor: rec.accessor }, 'token revoked, children orphaned');
    const cutFrom = [id, ...rec.ancestors];
    const children = await this.store.children(id);
    await this.store.dropChildren(id);
    const queue = [...children];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (await this.store.detach(next, cutFrom)) queue.push(...(await this.store.children(next)));
    }
    await this.notify([id], { children, cutFrom });
    return true;
  }

  private async notify(revoked: string[], orphaned?: Orphaned): Promise<void> {
    for (const fn of this.listeners) {
      try {
        await fn(revoked, orphaned);
      } catch (err) {
        this.log.warn({ err, tokens: revoked.length }, 'revocation listener failed');
      }
    }
  }

  /** Revokes tokens whose time is up, children included (a child never outlives its parent). */
  async sweepExpired(limit = 200): Promise<number> {
    const ids = await this.store.expired(this.now(), limit);
    let n = 0;
    for (const id of ids) n += (await this.revoke(id)).length;
    return n;
  }

  /** Makes sure a root token with this value exists (LESSOR_ROOT_TOKEN / dev root token). */
  async ensureRoot(token: string): Promise<boolean> {
    if (await this.lookup(hashToken(token))) return false;
    try {
      await this.issue({ token, policies: ['root'], displayName: 'root', entityName: 'root', path: 'auth/token/root' });
    } catch (err) {
      // Another replica starting at the same moment made it first.
      if (await this.lookup(hashToken(token))) return false;
      throw err;
    }
    return true;
  }
}

/**
 * The latest a token made at creationTime may live (ms; 0: no limit): its explicit max TTL,
 * else the system max, except that a periodic token lives while it is renewed.
 */
function maxExpireTimeOf(creationTime: number, period: number, explicitMaxTtl: number): number {
  if (explicitMaxTtl > 0) return creationTime + Math.min(explicitMaxTtl, MAX_TTL) * 1000;
  return period ? 0 : creationTime + MAX_TTL * 1000;
}
