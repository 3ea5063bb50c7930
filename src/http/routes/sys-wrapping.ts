import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { StoredToken } from '../../auth/token-store.js';
import type { ResponseWrapper } from '../../auth/wrapping.js';
import { badRequest } from '../../errors.js';

const tokenBody = { anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, properties: { token: { type: 'string', minLength: 1 } } }] } as const;
const lookupBody = { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', minLength: 1 } } } as const;

/**
 * `sys/wrapping/unwrap` and `rewrap`: with the wrapping token as X-Vault-Token (its one use), or
 * with any token allowed on the path and the wrapping token in the body. `sys/wrapping/lookup`
 * needs no token, as in Vault: it tells where a wrapping token came from without spending it.
 * `sys/wrapping/wrap` keeps the caller's own data under a wrapping token (the CLI sends a 5 m
 * wrap TTL for it by default).
 */
export function sysWrappingRoutes(wrapper: ResponseWrapper) {
  return async (app: FastifyInstance) => {
    const presented = (req: FastifyRequest) => (req.body as { token?: string } | null)?.token;
    // The request token, when it is a wrapping token: authentication already found it live.
    const requestTokenId = (req: FastifyRequest): string => {
      if (!wrapper.isWrappingToken(req.identity!.policies)) throw badRequest('send the wrapping token as the request token or as "token" in the body');
      return req.identity!.tokenId;
    };
    const wrappingTokenOf = async (req: FastifyRequest): Promise<StoredToken> => {
      const token = presented(req);
      return token ? wrapper.wrappingToken(token) : wrapper.requestWrappingToken(requestTokenId(req));
    };
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/wrapping/unwrap',
      schema: { body: tokenBody },
      handler: async (req, reply) => {
        // Unwrapping needs only the id: take() tells whether the answer is still there.
        const token = presented(req);
        const id = token ? (await wrapper.wrappingToken(token)).record.id : requestTokenId(req);
        return reply.type('application/json').send(await wrapper.unwrap(id));
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/wrapping/rewrap',
      schema: { body: tokenBody },
      handler: async (req, reply) => {
        const info = await wrapper.rewrap(await wrappingTokenOf(req));
        // The answer is a wrapping token already; an X-Vault-Wrap-TTL on the request must not wrap it again.
        req.wrapTtl = 0;
        return reply.answer({ wrapInfo: info });
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/wrapping/wrap',
      schema: { body: { anyOf: [{ type: 'null' }, { type: 'object' }] } },
      handler: async (req, reply) => {
        if (!req.wrapTtl) throw badRequest('sys/wrapping/wrap needs a wrap TTL: send X-Vault-Wrap-TTL (the CLI\'s -wrap-ttl)');
        return reply.answer({ data: req.body ?? {} });
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/wrapping/lookup',
      config: { public: true },
      schema: { body: lookupBody },
      handler: async (req, reply) => {
        const { record } = await wrapper.unspentWrappingToken((req.body as { token: string }).token);
        return reply.answer({
          data: { creation_path: record.path, creation_time: new Date(record.creationTime).toISOString(), creation_ttl: record.creationTtl },
        });
      },
    });
  };
}
