import type { Sealer } from '../crypto/sealer.js';
import { badRequest } from '../errors.js';
import { WRAPPING_POLICY_NAME } from './policy-store.js';
import { hashToken, MAX_TTL, type TokenService } from './tokens.js';
import type { StoredToken } from './token-store.js';
import type { WrapStore } from './wrap-store.js';

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
}

const INVALID = 'wrapping token is not valid or does not exist';
const aad = (tokenId: string) => `wrap:${tokenId}`;

/**
 * Vault's response wrapping. The answer to a request sent with `X-Vault-Wrap-TTL` is kept, sealed,
 * under a new single-use orphan token with that TTL and the `response-wrapping` policy; the
 * caller gets only that token (`wrap_info`). `sys/wrapping/unwrap` hands the kept answer out once
 * and revokes the token, so a wrapping token that arrives already used shows the secret was seen.
 */
export class ResponseWrapper {
  constructor(
    private readonly tokens: TokenService,
    private readonly store: WrapStore,
    private readonly sealer: Sealer,
  ) {}

  async wrap(answer: string, ttlSec: number, creationPath: string): Promise<WrapInfo> {
    const ttl = Math.min(ttlSec, MAX_TTL);
    const issued = await this.tokens.issue({
      policies: [WRAPPING_POLICY_NAME],
      ttl,
      explicitMaxTtl: ttl,
      renewable: false,
      numUses: 1,
      displayName: 'response-wrapping',
      entityName: '',
      path: creationPath,
    });
    await this.store.put(issued.record.id, await this.sealer.seal(Buffer.from(answer, 'utf8'), aad(issued.record.id)), ttl * 1000);
    return {
      token: issued.token,
      accessor: issued.record.accessor,
      ttl,
      creation_time: new Date(issued.record.creationTime).toISOString(),
      creation_path: creationPath,
    };
  }

  /** The kept answer for a wrapping token's id, once; the token is revoked with it. */
  async unwrap(tokenId: string): Promise<string> {
    const sealed = await this.store.take(tokenId);
    if (!sealed) throw badRequest(INVALID);
    const answer = (await this.sealer.open(sealed, aad(tokenId))).toString('utf8');
    // The answer is already taken, so a failed revocation must not lose it: the token can do
    // nothing without its answer, and it expires with its TTL.
    await this.tokens.revoke(tokenId).catch(() => {});
    return answer;
  }

  /**
   * Vault's rewrap: the same answer under a new wrapping token with the original's creation TTL
   * and path; the old token stops working. The answer is taken first, so two racing rewraps (or
   * a rewrap and an unwrap) end with one holder; if the new token cannot be made, the answer goes
   * back under the old one for the time it had left.
   */
  async rewrap(old: StoredToken): Promise<WrapInfo> {
    const id = old.record.id;
    const sealed = await this.store.take(id);
    if (!sealed) throw badRequest(INVALID);
    let info: WrapInfo;
    try {
      const answer = (await this.sealer.open(sealed, aad(id))).toString('utf8');
      info = await this.wrap(answer, old.record.creationTtl, old.record.path);
    } catch (err) {
      const left = old.expireTime - this.tokens.now();
      if (left > 0) await this.store.put(id, sealed, left).catch(() => {});
      throw err;
    }
    await this.tokens.revoke(id).catch(() => {});
    return info;
  }

  /** The live wrapping token behind a presented token, or a 400. Unwrapping needs no more: take() tells whether the answer is still there. */
  async wrappingToken(token: string): Promise<StoredToken> {
    const stored = await this.tokens.lookup(hashToken(token));
    if (!stored || !this.isWrappingToken(stored.record.policies)) throw badRequest(INVALID);
    return stored;
  }

  /** The wrapping token a request authenticated with: that request took its one use, yet it completes. */
  async requestWrappingToken(tokenId: string): Promise<StoredToken> {
    const stored = await this.tokens.lookup(tokenId, { current: true });
    if (!stored || !this.isWrappingToken(stored.record.policies)) throw badRequest(INVALID);
    return stored;
  }

  /** As wrappingToken, for a lookup, which spends nothing: the answer must still be kept. */
  async unspentWrappingToken(token: string): Promise<StoredToken> {
    const stored = await this.wrappingToken(token);
    if (!(await this.store.has(stored.record.id))) throw badRequest(INVALID);
    return stored;
  }

  isWrappingToken(policies: string[]): boolean {
    return policies.includes(WRAPPING_POLICY_NAME);
  }
}
