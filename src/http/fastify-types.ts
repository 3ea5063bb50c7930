import type { FastifyRequest } from 'fastify';
import type { Capability, RequestIdentity } from '../auth/access.js';
import type { Answer } from './envelope.js';

export interface LessorRouteConfig {
  /** Reachable without a token (health, login endpoints, JWKS). */
  public?: boolean;
  /** Capabilities of which the caller needs one; default follows the method. */
  capabilities?: Capability[];
  /**
   * Vault's root-protected path: the caller needs `sudo` as well as the capability above
   * (both, not either).
   */
  sudo?: boolean;
  /**
   * Vault's existence check, on writes of named objects (roles, users, configs): a write of one
   * that exists needs `update`, of a new one `create`. A write without it needs `update`.
   */
  exists?: (req: FastifyRequest) => Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyRequest {
    identity?: RequestIdentity;
    /** The request path relative to /v1/, as policies see it. */
    policyPath: string;
    /** Seconds from X-Vault-Wrap-TTL: answer with a wrapping token instead (0: not wrapped). */
    wrapTtl: number;
  }
  interface FastifyReply {
    /** Sends a 200 in Vault's envelope. */
    answer(a: Answer): FastifyReply;
  }
  interface FastifyContextConfig extends LessorRouteConfig {}
}
