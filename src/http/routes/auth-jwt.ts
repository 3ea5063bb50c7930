import type { FastifyInstance } from 'fastify';
import { commaListSchema } from '../../../plugins/sdk/comma-list.js';
import { durationSchema } from '../../../plugins/sdk/duration.js';
import { badRequest, loginRefused } from '../../errors.js';
import { claim, type JwtVerifier } from '../../auth/jwt/verify.js';
import { configFromBody, configView, roleFromBody, roleView, type JwtSettingsRepo } from '../../auth/jwt/settings.js';
import { tokenFieldsSchema, loginIssue } from '../../auth/token-settings.js';
import type { TokenService } from '../../auth/tokens.js';
import { authBlock } from '../../auth/token-views.js';
import { listAnswer } from '../envelope.js';
import { dropNullFields } from './drop-nulls.js';
import { LIST_METHOD } from '../request-shape.js';

/** Vault's auth/jwt/* paths: config, roles, login. */
const list = commaListSchema();
const configBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    jwks_url: { type: 'string' },
    jwt_validation_pubkeys: list,
    oidc_discovery_url: { type: 'string' },
    bound_issuer: { type: 'string' },
    jwt_supported_algs: list,
    default_role: { type: 'string' },
  },
} as const;
const roleBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...tokenFieldsSchema,
    role_type: { type: 'string' },
    bound_audiences: list,
    bound_subject: { type: 'string' },
    bound_claims: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array' }] } },
    bound_claims_type: { type: 'string', enum: ['string', 'glob'] },
    user_claim: { type: 'string', minLength: 1 },
    clock_skew_leeway: durationSchema,
  },
} as const;
const loginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['jwt'],
  properties: { jwt: { type: 'string', minLength: 1 }, role: { type: 'string' } },
} as const;
const params = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;

export function authJwtRoutes(repo: JwtSettingsRepo, verifier: JwtVerifier, tokens: TokenService) {
  return async (app: FastifyInstance) => {
    dropNullFields(app);
    const base = '/v1/auth/jwt';
    app.route({
      method: 'GET',
      url: `${base}/config`,
      handler: async (_req, reply) => {
        const c = await repo.config();
        return reply.answer({ data: c ? configView(c.config) : null });
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/config`,
      schema: { body: configBody },
      handler: async (req, reply) => {
        await repo.putConfig(configFromBody(req.body as Record<string, unknown>));
        req.log.info('jwt auth configured');
        return reply.code(204).send();
      },
    });
    app.route({ method: LIST_METHOD, url: `${base}/role`, handler: async (_req, reply) => reply.answer(listAnswer(await repo.roles())) });
    app.route({
      method: 'GET',
      url: `${base}/role/:name`,
      schema: { params },
      handler: async (req, reply) => reply.answer({ data: roleView(await repo.mustRole((req.params as { name: string }).name)) }),
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/role/:name`,
      schema: { params, body: roleBody },
      config: { exists: async (req) => (await repo.role((req.params as { name: string }).name)) !== undefined },
      handler: async (req, reply) => {
        const { name } = req.params as { name: string };
        await repo.mergeRole(name, (prev) => roleFromBody(req.body as Record<string, unknown>, prev));
        return reply.code(204).send();
      },
    });
    app.route({
      method: 'DELETE',
      url: `${base}/role/:name`,
      schema: { params },
      handler: async (req, reply) => {
        await repo.deleteRole((req.params as { name: string }).name);
        return reply.code(204).send();
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: `${base}/login`,
      config: { public: true },
      schema: { body: loginBody },
      handler: async (req, reply) => {
        const b = req.body as { jwt: string; role?: string };
        const cfg = await repo.config();
        if (!cfg) throw badRequest('jwt auth is not configured');
        const roleName = b.role || cfg.config.defaultRole;
        if (!roleName) throw badRequest('missing role');
        const role = await repo.role(roleName);
        if (!role) throw loginRefused(`role "${roleName}" could not be found`);
        const payload = await verifier.verify(b.jwt, cfg.config, cfg.version, role);
        const user = claim(payload, role.userClaim);
        if (typeof user !== 'string' && typeof user !== 'number') throw loginRefused(`the JWT has no "${role.userClaim}" claim`);
        const issued = await tokens.issue(
          loginIssue(role.token, { displayName: `jwt-${user}`, entityName: String(user), path: 'auth/jwt/login', meta: { role: roleName } }),
        );
        return reply.answer({ auth: authBlock(issued.token, issued.record, issued.expireTime, tokens.now()) });
      },
    });
  };
}
