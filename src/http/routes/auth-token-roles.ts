import type { FastifyInstance } from 'fastify';
import { TOKEN_ROLE_NAME_PATTERN, tokenRoleSchema, tokenRoleView, type TokenRoleStore } from '../../auth/token-roles.js';
import { listAnswer } from '../envelope.js';
import { LIST_METHOD } from '../request-shape.js';

export const roleParams = { type: 'object', required: ['role_name'], properties: { role_name: { type: 'string', pattern: TOKEN_ROLE_NAME_PATTERN } } } as const;

/** `auth/token/roles[/:role_name]`: Vault's token roles, written by admins (see auth/token-roles.ts). */
export function tokenRoleRoutes(app: FastifyInstance, roles: TokenRoleStore): void {
  const base = '/v1/auth/token/roles';
  const name = (req: { params: unknown }) => (req.params as { role_name: string }).role_name;
  app.route({ method: LIST_METHOD, url: base, handler: async (_req, reply) => reply.answer(listAnswer(await roles.list())) });
  app.route({
    method: 'GET', url: `${base}/:role_name`, schema: { params: roleParams },
    handler: async (req, reply) => reply.answer({ data: tokenRoleView(name(req), await roles.get(name(req))) }),
  });
  app.route({
    method: ['POST', 'PUT'], url: `${base}/:role_name`, schema: { params: roleParams, body: tokenRoleSchema },
    config: { exists: async (req) => (await roles.find(name(req))) !== undefined },
    handler: async (req, reply) => {
      await roles.write(name(req), (req.body ?? {}) as Record<string, unknown>);
      req.log.info({ role: name(req) }, 'token role written');
      return reply.code(204).send();
    },
  });
  app.route({
    method: 'DELETE', url: `${base}/:role_name`, schema: { params: roleParams },
    handler: async (req, reply) => {
      await roles.delete(name(req));
      return reply.code(204).send();
    },
  });
}
