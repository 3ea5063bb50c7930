/**
 * The token store contract. Tokens themselves never reach the store: records are keyed by the
 * SHA-256 of the token (its id). Redis implements it in server mode (token-store-redis.ts), a
 * Map in `lessor dev` (token-store-memory.ts); both pass test/identity/token-store.test.ts.
 */
export interface TokenRecord {
  /** SHA-256 hex of the token. */
  id: string;
  accessor: string;
  policies: string[];
  /** Parent token id, '' for an orphan. */
  parent: string;
  /** Parent, grandparent, … token ids (nearest first). */
  ancestors: string[];
  meta: Record<string, string>;
  /**
   * Metadata an operator set, Vault's entity metadata: what the login's role, user or secret ID
   * carries; a token created by another token inherits its creator's. Claim templates read this,
   * never `meta`, which whoever creates a token chooses. Absent: none.
   */
  entityMeta?: Record<string, string>;
  displayName: string;
  entityName: string;
  /** The path that created it: auth/token/create, auth/approle/login, … */
  path: string;
  /** Milliseconds since the epoch. */
  creationTime: number;
  /** TTL granted at creation, seconds (0: never expires). */
  creationTtl: number;
  explicitMaxTtl: number;
  /** Absolute cap for renewals (ms); 0 = none. */
  maxExpireTime: number;
  renewable: boolean;
  /** Uses granted at creation; 0 = unlimited. */
  numUses: number;
  /** Periodic token: every renewal grants this many seconds, with no max TTL but explicitMaxTtl. Absent on older records. */
  period?: number;
  boundCidrs: string[];
  /** The token role it was created through (auth/token/create/:role). */
  role?: string;
}

export interface StoredToken {
  record: TokenRecord;
  /** Current expiry (ms since epoch); 0 = never. */
  expireTime: number;
  /** Remaining uses; 0 = unlimited, -1 = used up. */
  usesLeft: number;
  /** When it was last renewed (ms since epoch); absent until its first renewal. */
  lastRenewal?: number;
}

export type CreateOutcome = 'created' | 'parent-gone' | 'duplicate';

export type UseResult = { ok: true; last: boolean; usesLeft: number } | { ok: false };

export interface TokenStore {
  /**
   * Stores a new token: 'parent-gone' if the parent no longer exists (revoked or expired
   * meanwhile), 'duplicate' if a token with this id does; nothing is written then.
   */
  create(record: TokenRecord, expireTime: number, now: number): Promise<CreateOutcome>;
  get(id: string): Promise<StoredToken | undefined>;
  idByAccessor(accessor: string): Promise<string | undefined>;
  /** Every accessor in the store (an admin's listing, not a hot path). */
  accessors(): Promise<string[]>;
  /** Atomically takes one use of a limited-use token. */
  use(id: string, now: number): Promise<UseResult>;
  /** Sets a new expiry, and `now` as the last renewal, if the token still exists and has not expired. */
  renew(id: string, expireTime: number, now: number): Promise<boolean>;
  /** Removes one token (not its children); returns its record, if it existed. */
  remove(id: string): Promise<TokenRecord | undefined>;
  children(id: string): Promise<string[]>;
  /** Forgets the children list of a removed token. */
  dropChildren(id: string): Promise<void>;
  /**
   * Revoke-orphan's rewrite of a surviving descendant: drops `forget` from its ancestors, and
   * its parent when the parent is among them (it becomes an orphan). False if the token is gone.
   */
  detach(id: string, forget: string[]): Promise<boolean>;
  /** Ids of tokens whose expiry is at or before now (up to limit). */
  expired(now: number, limit: number): Promise<string[]>;
}

/** Key TTLs are garbage collection only, set well past expiry (the store checks expiry itself). */
/** The record a descendant keeps once `forget` (a revoked token and those above it) is cut off. */
export function detached(record: TokenRecord, forget: string[]): TokenRecord {
  const cut = new Set(forget);
  return { ...record, parent: cut.has(record.parent) ? '' : record.parent, ancestors: record.ancestors.filter((a) => !cut.has(a)) };
}

export const GC_GRACE_MS = 24 * 3600 * 1000;
