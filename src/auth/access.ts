/**
 * The seam between the HTTP layer and identity: the HTTP layer extracts the token and the
 * policy path, and asks an AccessControl who the caller is and whether it may act. The HTTP
 * layer knows nothing about how tokens are stored or how policies match.
 */
/**
 * Vault's capabilities. `patch`, `subscribe` and `recover` are accepted so that Vault policies
 * (KV policies often list `patch`) load unchanged; lessor has no operation they grant.
 */
export type Capability = 'create' | 'read' | 'update' | 'delete' | 'list' | 'sudo' | 'deny' | 'patch' | 'subscribe' | 'recover';

export interface RequestIdentity {
  /** SHA-256 of the token: the token's id in the store. Never the token itself. */
  tokenId: string;
  accessor: string;
  /** Token ids of the parent, grandparent, … (nearest first): lease ownership and cascade. */
  ancestors: string[];
  policies: string[];
  /** Name for templates and claims (the login's user, role or subject). */
  entityName: string;
  displayName: string;
  /** The token's own metadata (its creator chose it). */
  metadata: Record<string, string>;
  /** Operator-set metadata (TokenRecord.entityMeta): the only metadata claim templates read. */
  entityMetadata?: Record<string, string>;
  /** Tokens whose policies include "root" may do anything. */
  isRoot: boolean;
}

export interface AccessControl {
  /**
   * Resolves a presented token, or throws a 403 LessorError (missing, unknown, expired, used up,
   * bound elsewhere). Takes nothing from the token: see admit.
   */
  authenticate(token: string | undefined, ctx: { ip: string }): Promise<RequestIdentity>;
  /**
   * Called once the request is allowed: takes one use of a limited-use token, or throws a 403 if
   * a racing request took the last one. Without it (identities with no use limit) nothing is taken.
   */
  admit?(identity: RequestIdentity): Promise<void>;
  /**
   * Whether the identity holds any of the capabilities on the path (relative to /v1/, no
   * trailing slash). `list`: the request is a LIST, which Vault's policies match with and
   * without a trailing slash (a `path "x/*"` policy grants `vault list x`).
   */
  authorize(identity: RequestIdentity, path: string, capabilities: Capability[], list?: boolean): Promise<boolean> | boolean;
}

export function capabilitiesForMethod(method: string): Capability[] {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return ['read'];
    case 'LIST':
    case 'SEARCH': // LIST_METHOD, see http/request-shape.ts
      return ['list'];
    case 'DELETE':
      return ['delete'];
    default:
      // Vault's rule for a write: `update`, unless the route has an existence check (the
      // access hook then asks for `create` when the object is new).
      return ['update'];
  }
}

/** Until an identity backend is wired in, nothing protected is reachable. */
export const denyAll: AccessControl = {
  async authenticate() {
    const { permissionDenied } = await import('../errors.js');
    throw permissionDenied();
  },
  authorize: () => false,
};
