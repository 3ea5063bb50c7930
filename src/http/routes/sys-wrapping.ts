import type { FastifyInstance } from 'fastify';
import type { ResponseWrapper } from '../../auth/wrapping.js';
import { badRequest } from '../../errors.js';

const tokenBody = { anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, properties: { token: { type: 'string', minLength: 1 } } }] } as const;
const lookupBody = { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', minLength: 1 } } } as const;

/**
 * `sys/wrapping/unwrap`: with the wrapping token as X-Vault-Token (its one use), or with any token
 * allowed to unwrap and the wrapping token in the body. `sys/wrapping/lookup` needs no token, as in
 * Vault: it tells where a wrapping token came from without spending it.
 */
export function sysWrappingRoutes(wrapper: ResponseWrapper) {
  return async (app: FastifyInstance) => {
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/wrapping/unwrap',
      schema: { body: tokenBody },
      handler: async (req, reply) => {
        const presented = (req.body as { token?: string } | null)?.token;
        let tokenId: string;
        if (presented) tokenId = (await wrapper.wrappingToken(presented)).record.id;
        else if (wrapper.isWrappingToken(req.identity!.policies)) tokenId = req.identity!.tokenId;
        else throw badRequest('send the wrapping token as the request token or as "token" in the body');
        return reply.type('application/json').send(await wrapper.unwrap(tokenId));
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
