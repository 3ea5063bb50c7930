import type { FastifyInstance } from 'fastify';
import type { UserpassService } from '../../auth/userpass/service.js';
import { commaList } from '../../../plugins/sdk/comma-list.js';
import { tokenFieldsSchema, tokenSettingsView } from '../../auth/token-settings.js';
import { authBlock } from '../../auth/token-views.js';
import type { TokenService } from '../../auth/tokens.js';
import { listAnswer } from '../envelope.js';
import { dropNullFields } from './drop-nulls.js';
import { LIST_METHOD } from '../request-shape.js';

/** Vault's auth/userpass/* paths. */
const password = { type: 'string', minLength: 8, maxLength: 1024 } as const;
const userBody = { type: 'object', additionalProperties: false, properties: { ...tokenFieldsSchema, password } } as const;
const params = { type: 'object', properties: { username: { type: 'string' } }, required: ['username'] } as const;
// Usernames are case-insensitive: lowercased before the ACL check (src/http/canonical-names.ts).
const canonical = { canonicalParam: 'username' } as const;
const passwordBody = { type: 'object', additionalProperties: false, required: ['password'], properties: { password } } as const;
// Login takes any password (an old short one must still be refusable without a schema error).
const loginBody = { type: 'object', additionalProperties: false, required: ['password'], properties: { password: { type: 'string', maxLength: 1024 } } } as const;

export function authUserpassRoutes(users: UserpassService, tokens: TokenService) {
  return async (app: FastifyInstance) => {
    dropNullFields(app);
    const base = '/v1/auth/userpass';
    const name = (req: { params: unknown }) => (req.params as { username: string }).username;
    app.route({ method: LIST_METHOD, url: `${base}/users`, handler: async (_req, reply) => reply.answer(listAnswer(await users.list())) });
    app.route({
      method: 'GET',
      url: `${base}/users/:username`,
      schema: { params },
      config: canonical,
      handler: async (req, reply) => reply.answer({ data: tokenSettingsView(await users.get(name(req))) }),
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/users/:username`,
      schema: { params, body: userBody },
      config: { ...canonical, exists: (req) => users.exists(name(req)) },
      handler: async (req, reply) => {
        await users.write(name(req), req.body as Record<string, unknown>);
        req.log.info({ user: name(req).toLowerCase() }, 'userpass user written');
        return reply.code(204).send();
      },
    });
    app.route({
      method: 'DELETE',
      url: `${base}/users/:username`,
      schema: { params },
      config: canonical,
      handler: async (req, reply) => {
        await users.delete(name(req));
        return reply.code(204).send();
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/users/:username/password`,
      schema: { params, body: passwordBody },
      config: canonical,
      handler: async (req, reply) => {
        await users.setPassword(name(req), (req.body as { password: string }).password);
        return reply.code(204).send();
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/users/:username/policies`,
      schema: {
        params,
        body: { type: 'object', additionalProperties: false, properties: { token_policies: tokenFieldsSchema.token_policies, policies: tokenFieldsSchema.policies } },
      },
      config: canonical,
      handler: async (req, reply) => {
        const b = req.body as { token_policies?: unknown; policies?: unknown };
        await users.write(name(req), { token_policies: commaList(b.token_policies ?? b.policies) });
        return reply.code(204).send();
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/login/:username`,
      config: { ...canonical, public: true },
      schema: { params, body: loginBody },
      handler: async (req, reply) => {
        const issued = await users.login(name(req), (req.body as { password: string }).password, req.ip);
        return reply.answer({ auth: authBlock(issued.token, issued.record, issued.expireTime, tokens.now()) });
      },
    });
  };
}
