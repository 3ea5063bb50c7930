import type { FastifyInstance } from 'fastify';
import { commaList, commaListSchema } from '../../../plugins/sdk/comma-list.js';
import { badRequest, notFound, permissionDenied } from '../../errors.js';
import type { PolicyStore } from '../../auth/policy-store.js';
import { canonicalPattern } from '../../auth/name-case.js';
import { hashToken, type TokenService } from '../../auth/tokens.js';
import { listAnswer } from '../envelope.js';
import { LIST_METHOD } from '../request-shape.js';

/** `sys/policies/acl/:name` and Vault's legacy alias `sys/policy/:name` (node-vault uses it). */
const nameParams = { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] } as const;
// Policy names are case-insensitive: lowercased before the ACL check (src/http/canonical-names.ts).
const canonical = { canonicalParam: 'name' } as const;
const aclBody = { type: 'object', additionalProperties: false, required: ['policy'], properties: { policy: { type: 'string' } } } as const;
// The legacy path took the text as `rules`; node-vault's addPolicy({name, rules}) sends that.
const legacyBody = {
  type: 'object',
  additionalProperties: false,
  properties: { policy: { type: 'string' }, rules: { type: 'string' } },
  anyOf: [{ required: ['policy'] }, { required: ['rules'] }],
} as const;

const pathFields = { path: commaListSchema(), paths: commaListSchema() };
const capabilitiesSelfBody = { type: 'object', additionalProperties: false, properties: pathFields } as const;
const capabilitiesBody = { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string' }, ...pathFields } } as const;
const capabilitiesAccessorBody = { type: 'object', additionalProperties: false, required: ['accessor'], properties: { accessor: { type: 'string' }, ...pathFields } } as const;

export function sysPolicyRoutes(policies: PolicyStore, tokens: TokenService) {
  /** Vault's capabilities answer: one key per path, plus `capabilities` when one path was asked. */
  const capabilities = async (tokenPolicies: string[], body: { path?: unknown; paths?: unknown }) => {
    // A trailing slash is kept: as in Vault, "database/roles/" asks what a LIST of it may do.
    const paths = [...commaList(body.paths), ...commaList(body.path)].map((p) => p.replace(/^\/+/, ''));
    if (paths.length === 0) throw badRequest('missing paths');
    const acl = tokenPolicies.includes('root') ? undefined : await policies.aclFor(tokenPolicies);
    // Keyed by paths the caller sent: no prototype, so "__proto__" is a path like any other.
    const data = Object.create(null) as Record<string, string[]>;
    // Asked as a request would be checked: with a case-insensitive name lowercased.
    for (const p of paths) data[p] = acl ? acl.capabilities(canonicalPattern(p)) : ['root'];
    if (paths.length === 1) data.capabilities = data[paths[0]];
    return { data };
  };
  return async (app: FastifyInstance) => {
    // What the caller's own token may do on some paths (Vault's sys/capabilities-self).
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/capabilities-self',
      schema: { body: capabilitiesSelfBody },
      handler: async (req, reply) => reply.answer(await capabilities(req.identity!.policies, req.body as object)),
    });
    // Another token's, by the token or its accessor (`vault token capabilities <token> <path>`);
    // an unknown token is Vault's 403 "bad token".
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/capabilities',
      schema: { body: capabilitiesBody },
      handler: async (req, reply) => {
        const b = req.body as { token: string; path?: unknown; paths?: unknown };
        const stored = await tokens.lookup(hashToken(b.token));
        if (!stored) throw permissionDenied('bad token');
        return reply.answer(await capabilities(stored.record.policies, b));
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/capabilities-accessor',
      schema: { body: capabilitiesAccessorBody },
      handler: async (req, reply) => {
        const b = req.body as { accessor: string; path?: unknown; paths?: unknown };
        const stored = await tokens.lookupAccessor(b.accessor);
        if (!stored) throw badRequest('invalid accessor');
        return reply.answer(await capabilities(stored.record.policies, b));
      },
    });

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
        config: canonical,
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
        config: canonical,
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
        config: canonical,
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
