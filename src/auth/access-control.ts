import type { AccessControl, Capability, RequestIdentity } from './access.js';
import type { PolicyStore } from './policy-store.js';
import type { StoredToken } from './token-store.js';
import type { TokenService } from './tokens.js';

export function identityOf(stored: StoredToken): RequestIdentity {
  const r = stored.record;
  return {
    tokenId: r.id,
    accessor: r.accessor,
    ancestors: r.ancestors,
    policies: r.policies,
    entityName: r.entityName,
    displayName: r.displayName,
    metadata: r.meta,
    entityMetadata: r.entityMeta ?? {},
    isRoot: r.policies.includes('root'),
  };
}

/**
 * Tokens + ACL policies behind the HTTP layer's AccessControl seam. An identity whose request
 * took the token's last use is remembered so the token is revoked once that request is done
 * (Vault's num_uses semantics: the last use still completes).
 */
export class TokenAccessControl implements AccessControl {
  private lastUse = new WeakSet<RequestIdentity>();
  /** The stored token behind an identity whose token has a use limit, until admit takes a use. */
  private limited = new WeakMap<RequestIdentity, StoredToken>();
  /** The policy version read started with the identity's token read (see authenticate). */
  private policyVersion = new WeakMap<RequestIdentity, Promise<number>>();

  constructor(private readonly tokens: TokenService, private readonly policies: PolicyStore) {}

  async authenticate(token: string | undefined, ctx: { ip: string }): Promise<RequestIdentity> {
    // The policy version is read in the same tick as the token, so both leave in one socket
    // write: one round trip for authentication and authorisation instead of two. It is read at
    // the start of the request, so a policy change made before the request applies to it.
    const version = token ? this.policies.currentVersion() : undefined;
    // Root tokens and refused tokens never wait for it; its failure is theirs to ignore.
    version?.catch(() => {});
    const stored = await this.tokens.authenticate(token, ctx.ip);
    const identity = identityOf(stored);
    if (stored.record.numUses > 0) this.limited.set(identity, stored);
    if (version && !identity.isRoot) this.policyVersion.set(identity, version);
    return identity;
  }

  async authorize(identity: RequestIdentity, path: string, capabilities: Capability[], list = false): Promise<boolean> {
    if (identity.isRoot) return true;
    const acl = await this.policies.aclFor(identity.policies, this.policyVersion.get(identity));
    // A LIST's path is Vault's: with the trailing slash the HTTP layer took off.
    return list ? acl.allows(`${path}/`, capabilities, true) : acl.allows(path, capabilities);
  }

  async admit(identity: RequestIdentity): Promise<void> {
    const stored = this.limited.get(identity);
    if (!stored) return;
    this.limited.delete(identity);
    if (await this.tokens.takeUse(stored)) this.lastUse.add(identity);
  }

  usedLastUse(identity: RequestIdentity | undefined): boolean {
    return identity !== undefined && this.lastUse.has(identity);
  }
}
