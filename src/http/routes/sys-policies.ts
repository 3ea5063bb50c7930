import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.js';
import type { PolicyStore } from '../../auth/policy-store.js';
import { listAnswer } from '../envelope.js';
import { LIST_METHOD } from '../request-shape.js';

/** `sys/policies/acl/:name` and Vault's legacy alias `sys/policy/:name` (node-vault uses it). */
const nameParams = { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] } as const;
const aclBody = { type: 'object', additionalProperties: false, required: ['policy'], properties: { policy: { type: 'string' } } } as const;
// The legacy path took the text as `rules`; node-vault's addPolicy({name, rules}) sends that.
const legacyBody = {
  type: 'object',
  additionalProperties: false,
  properties: { policy: { type: 'string' }, rules: { type: 'string' } },
  anyOf: [{ required: ['policy'] }, { required: ['rules'] }],
} as const;

export function sysPolicyRoutes(policies: PolicyStore) {
  return async (app: FastifyInstance) => {
    const read = async (name: string) => {
      const text = await policies.get(name);
      if (text === undefined && name.toLowerCase() !== 'root') throw notFound(`no policy named "${name}"`);
      return text ?? '';
    };

    for (const base of ['/v1/sys/policies/acl', '/v1/sys/policy']) {
      const legacy = base === '/v1/sys/policy';
      app.route({
        method: [LIST_METHOD, ...(legacy ? (['GET'] as const) : [])],
        url: base,
        handler: async (_req, reply) => {
          const names = await policies.list();
          return reply.answer(legacy ? { data: { keys: names, policies: names } } : listAnswer(names));
        },
      });
      app.route({
        method: 'GET',
        url: `${base}/:name`,
        schema: { params: nameParams },
        handler: async (req, reply) => {
          const { name } = req.params as { name: string };
          const text = await read(name);
          const n = name.toLowerCase();
          return reply.answer({ data: legacy ? { name: n, rules: text } : { name: n, policy: text } });
        },
      });
      app.route({
        method: ['PUT', 'POST'],
        url: `${base}/:name`,
        schema: { params: nameParams, body: legacy ? legacyBody : aclBody },
        handler: async (req, reply) => {
          const { name } = req.params as { name: string };
          const b = req.body as { policy?: string; rules?: string };
          await policies.put(name, b.policy ?? b.rules ?? '');
          req.log.info({ policy: name.toLowerCase() }, 'policy written');
          return reply.code(204).send();
        },
      });
      app.route({
        method: 'DELETE',
        url: `${base}/:name`,
        schema: { params: nameParams },
        handler: async (req, reply) => {
          const { name } = req.params as { name: string };
          await policies.delete(name);
          req.log.info({ policy: name.toLowerCase() }, 'policy deleted');
          return reply.code(204).send();
        },
      });
    }
  };
}
