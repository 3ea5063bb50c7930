import type { FastifyInstance } from 'fastify';
import { commaListSchema } from '../../../plugins/sdk/comma-list.js';
import { durationSchema } from '../../../plugins/sdk/duration.js';
import { notFound } from '../../errors.js';
import type { AppRoleService } from '../../auth/approle/service.js';
import { periodSchema, tokenFieldsSchema, useCountSchema } from '../../auth/token-settings.js';
import { authBlock } from '../../auth/token-views.js';
import { listAnswer } from '../envelope.js';
import { dropNullFields } from './drop-nulls.js';
import { LIST_METHOD } from '../request-shape.js';

/** Vault's auth/approle/* paths. */
const listish = commaListSchema();
const roleBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...tokenFieldsSchema,
    bind_secret_id: { type: 'boolean' },
    secret_id_num_uses: useCountSchema,
    secret_id_ttl: durationSchema,
    secret_id_bound_cidrs: listish,
    bound_cidr_list: listish,
    local_secret_ids: { type: 'boolean', const: false },
    enable_local_secret_ids: { type: 'boolean', const: false },
    // Vault's legacy name for token_period.
    period: periodSchema,
  },
} as const;
const secretIdBody = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        metadata: { anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }] },
        cidr_list: listish,
        token_bound_cidrs: { anyOf: [{ type: 'array', maxItems: 0 }, { const: '' }] },
        ttl: durationSchema,
        num_uses: useCountSchema,
      },
    },
  ],
} as const;
const secretIdFields = secretIdBody.anyOf[1];
/** Vault's custom-secret-id: the same fields, plus the secret ID the caller chose. */
const customSecretIdBody = {
  ...secretIdFields,
  required: ['secret_id'],
  properties: { ...secretIdFields.properties, secret_id: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;
const loginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['role_id'],
  properties: { role_id: { type: 'string', minLength: 1 }, secret_id: { type: 'string' } },
} as const;
// Vault's parameter name: clients echo role_name in bodies, and the echo is stripped by name.
const params = { type: 'object', properties: { role_name: { type: 'string' } }, required: ['role_name'] } as const;
// Role names are case-insensitive: lowercased before the ACL check (src/http/canonical-names.ts).
const canonical = { canonicalParam: 'role_name' } as const;
const byId = { type: 'object', additionalProperties: false, required: ['secret_id'], properties: { secret_id: { type: 'string' } } } as const;
const byAccessor = { type: 'object', additionalProperties: false, required: ['secret_id_accessor'], properties: { secret_id_accessor: { type: 'string' } } } as const;

export function authAppRoleRoutes(approle: AppRoleService, now: () => number) {
  return async (app: FastifyInstance) => {
    dropNullFields(app);
    const base = '/v1/auth/approle';
    app.route({ method: LIST_METHOD, url: `${base}/role`, handler: async (_req, reply) => reply.answer(listAnswer(await approle.list())) });
    app.route({
      method: 'GET',
      url: `${base}/role/:role_name`,
      schema: { params },
      config: canonical,
      handler: async (req, reply) => reply.answer({ data: approle.view(await approle.get((req.params as { role_name: string }).role_name)) }),
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/role/:role_name`,
      schema: { params, body: { anyOf: [{ type: 'null' }, roleBody] } },
      config: { ...canonical, exists: (req) => approle.exists((req.params as { role_name: string }).role_name) },
      handler: async (req, reply) => {
        const { role_name: name } = req.params as { role_name: string };
        await approle.write(name, (req.body ?? {}) as Record<string, unknown>);
        req.log.info({ role: name }, 'approle role written');
        return reply.code(204).send();
      },
    });
    app.route({
      method: 'DELETE',
      url: `${base}/role/:role_name`,
      schema: { params },
      config: canonical,
      handler: async (req, reply) => {
        await approle.delete((req.params as { role_name: string }).role_name);
        return reply.code(204).send();
      },
    });
    app.route({
      method: 'GET',
      url: `${base}/role/:role_name/role-id`,
      schema: { params },
      config: canonical,
      handler: async (req, reply) => reply.answer({ data: { role_id: (await approle.get((req.params as { role_name: string }).role_name)).roleId } }),
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/role/:role_name/role-id`,
      schema: { params, body: { type: 'object', additionalProperties: false, required: ['role_id'], properties: { role_id: { type: 'string', minLength: 1 } } } },
      config: canonical,
      handler: async (req, reply) => {
        await approle.setRoleId((req.params as { role_name: string }).role_name, (req.body as { role_id: string }).role_id);
        return reply.code(204).send();
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/role/:role_name/secret-id`,
      schema: { params, body: secretIdBody },
      config: canonical,
      handler: async (req, reply) => {
        const data = await approle.newSecretId((req.params as { role_name: string }).role_name, (req.body ?? {}) as object, now());
        return reply.answer({ data });
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/role/:role_name/custom-secret-id`,
      schema: { params, body: customSecretIdBody },
      config: canonical,
      handler: async (req, reply) => {
        const { secret_id: chosen, ...rest } = req.body as { secret_id: string };
        const data = await approle.newSecretId((req.params as { role_name: string }).role_name, rest, now(), chosen);
        return reply.answer({ data });
      },
    });
    app.route({
      method: LIST_METHOD,
      url: `${base}/role/:role_name/secret-id`,
      schema: { params },
      config: canonical,
      handler: async (req, reply) => reply.answer(listAnswer(await approle.accessors((req.params as { role_name: string }).role_name))),
    });
    for (const [suffix, body, key] of [
      ['secret-id', byId, 'secret_id'],
      ['secret-id-accessor', byAccessor, 'secret_id_accessor'],
    ] as const) {
      const by = (b: Record<string, string>) => (key === 'secret_id' ? { secretId: b.secret_id } : { accessor: b.secret_id_accessor });
      app.route({
        method: ['POST', 'PUT'],
        url: `${base}/role/:role_name/${suffix}/lookup`,
        schema: { params, body },
        config: canonical,
        handler: async (req, reply) => {
          const found = await approle.lookup((req.params as { role_name: string }).role_name, by(req.body as Record<string, string>));
          if (!found) throw notFound('no such secret ID');
          return reply.answer({ data: found.data });
        },
      });
      app.route({
        method: ['POST', 'PUT', 'DELETE'],
        url: `${base}/role/:role_name/${suffix}/destroy`,
        schema: { params, body },
        config: canonical,
        handler: async (req, reply) => {
          await approle.destroy((req.params as { role_name: string }).role_name, by(req.body as Record<string, string>));
          return reply.code(204).send();
        },
      });
    }
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/login`,
      config: { public: true },
      schema: { body: loginBody },
      handler: async (req, reply) => {
        const b = req.body as { role_id: string; secret_id?: string };
        const issued = await approle.login(b.role_id, b.secret_id, req.ip, now());
        return reply.answer({ auth: authBlock(issued.token, issued.record, issued.expireTime, now()) });
      },
    });
  };
}
