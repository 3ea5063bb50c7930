import type { FastifyInstance, FastifyRequest } from 'fastify';
import { commaList, commaListSchema } from '../../../plugins/sdk/comma-list.js';
import { durationSchema, parseDuration } from '../../../plugins/sdk/duration.js';
import { badRequest, permissionDenied } from '../../errors.js';
import { parseCidrs } from '../../auth/cidr.js';
import type { AccessControl } from '../../auth/access.js';
import type { TokenService } from '../../auth/tokens.js';
import { hashToken } from '../../auth/tokens.js';
import { authBlock, lookupData } from '../../auth/token-views.js';
import type { StoredToken } from '../../auth/token-store.js';
import { tokenFrom } from '../hooks.js';
import { dropNullFields } from './drop-nulls.js';
import { useCountSchema } from '../../auth/token-settings.js';
import { listAnswer } from '../envelope.js';
import { LIST_METHOD } from '../request-shape.js';
import { beyondParent, rolePolicies, type TokenRoleStore } from '../../auth/token-roles.js';
import { roleParams, tokenRoleRoutes } from './auth-token-roles.js';

/** Vault's auth/token/* paths. */
const createBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1 },
    policies: commaListSchema(),
    meta: { type: 'object', additionalProperties: { type: 'string' } },
    no_parent: { type: 'boolean' },
    no_default_policy: { type: 'boolean' },
    renewable: { type: 'boolean' },
    ttl: durationSchema,
    explicit_max_ttl: durationSchema,
    period: durationSchema,
    display_name: { type: 'string', maxLength: 256 },
    num_uses: useCountSchema,
    type: { type: 'string', enum: ['service', 'default'] },
    bound_cidrs: commaListSchema(),
  },
} as const;

interface CreateBody {
  id?: string;
  policies?: string[] | string;
  meta?: Record<string, string>;
  no_parent?: boolean;
  no_default_policy?: boolean;
  renewable?: boolean;
  ttl?: string | number;
  explicit_max_ttl?: string | number;
  period?: string | number;
  display_name?: string;
  num_uses?: number;
  bound_cidrs?: string[] | string;
}

const tokenBody = { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string' } } } as const;
const accessorBody = { type: 'object', additionalProperties: false, required: ['accessor'], properties: { accessor: { type: 'string' } } } as const;
const emptyBody = { anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false }] } as const;
const renewSelfBody = { type: 'object', additionalProperties: false, properties: { increment: durationSchema } } as const;
const renewBody = { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string' }, increment: durationSchema } } as const;

export function authTokenRoutes(tokens: TokenService, access: AccessControl, roles: TokenRoleStore) {
  const self = async (req: FastifyRequest): Promise<StoredToken> => {
    const stored = req.identity && (await tokens.lookup(req.identity.tokenId, { current: true }));
    if (!stored) throw permissionDenied();
    return stored;
  };
  const byToken = async (token: string): Promise<StoredToken> => {
    const stored = await tokens.lookup(hashToken(token));
    if (!stored) throw permissionDenied('bad token'); // Vault's answer for an unknown token: 403
    return stored;
  };
  const byAccessor = async (accessor: string): Promise<StoredToken> => {
    const stored = await tokens.lookupAccessor(accessor);
    if (!stored) throw permissionDenied('invalid accessor');
    return stored;
  };

  return async (app: FastifyInstance) => {
    dropNullFields(app);
    const create = (orphanPath: boolean) => async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const b = (req.body ?? {}) as CreateBody;
      const identity = req.identity!;
      const parent = await self(req);
      const roleName = (req.params as { role_name?: string } | undefined)?.role_name;
      const role = roleName === undefined ? undefined : await roles.find(roleName);
      if (roleName !== undefined && !role) throw badRequest(`unknown role ${roleName}`);
      // Through a role, the role says orphan or not; otherwise an orphan is root's or sudo's to make.
      const orphan = role ? role.orphan : orphanPath || b.no_parent === true;
      if (!role && orphan && !identity.isRoot && !orphanPath) throw permissionDenied('root or sudo privileges required to create orphan token');
      if (b.id !== undefined && !identity.isRoot) throw permissionDenied('root or sudo privileges required to specify token id');
      const asked = b.period === undefined ? 0 : parseDuration(b.period, 'period');
      // Vault's rule: a token that can outlive every max TTL is an admin's to hand out (or a role's).
      if (asked > 0 && !role?.tokenPeriod && !(await access.authorize(identity, req.policyPath, ['sudo']))) {
        throw permissionDenied('root or sudo privileges required to create periodic token');
      }
      const period = role?.tokenPeriod || asked;
      const requested = b.policies !== undefined ? commaList(b.policies).map((p) => p.trim().toLowerCase()).filter(Boolean) : undefined;
      let policies: string[];
      if (role) {
        policies = rolePolicies(role, requested, parent.record.policies, identity.isRoot, b.no_default_policy === true);
      } else {
        policies = requested ?? parent.record.policies.filter((p) => b.no_default_policy !== true || p !== 'default');
        const extra = identity.isRoot ? [] : beyondParent(policies, parent.record.policies);
        if (extra.length) throw permissionDenied(`child policies must be subset of parent's policies: ${extra.join(', ')}`);
        if (!b.no_default_policy && !policies.includes('root')) policies.push('default');
      }
      let boundCidrs: string[] | undefined;
      try {
        boundCidrs = role?.tokenBoundCidrs.length ? role.tokenBoundCidrs : b.bound_cidrs !== undefined ? parseCidrs(commaList(b.bound_cidrs)) : undefined;
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      const maxTtls = [b.explicit_max_ttl === undefined ? 0 : parseDuration(b.explicit_max_ttl, 'explicit_max_ttl'), role?.tokenExplicitMaxTtl ?? 0].filter((x) => x > 0);
      const uses = b.num_uses ?? 0;
      const issued = await tokens.issue({
        parent: orphan ? undefined : parent,
        policies,
        meta: b.meta,
        ttl: b.ttl === undefined ? undefined : parseDuration(b.ttl, 'ttl'),
        explicitMaxTtl: maxTtls.length ? Math.min(...maxTtls) : undefined,
        period,
        renewable: role && !role.renewable ? false : b.renewable,
        // A role's use limit is a ceiling: a request may ask for fewer uses, never for more.
        numUses: role?.tokenNumUses && (uses === 0 || uses > role.tokenNumUses) ? role.tokenNumUses : uses,
        boundCidrs,
        displayName: b.display_name ? `token-${b.display_name}` : 'token',
        entityName: identity.entityName,
        // The same entity as its creator; the `meta` sent here is the token's own, not the entity's.
        entityMeta: parent.record.entityMeta,
        path: role ? `auth/token/create/${roleName}${role.pathSuffix ? `/${role.pathSuffix}` : ''}` : orphanPath ? 'auth/token/create-orphan' : 'auth/token/create',
        token: b.id,
        ...(role ? { role: roleName } : {}),
      });
      return reply.answer({ auth: authBlock(issued.token, issued.record, issued.expireTime, tokens.now()), warnings: issued.warnings });
    };
    app.route({ method: ['POST', 'PUT'], url: '/v1/auth/token/create', schema: { body: createBody }, handler: create(false) });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/create/:role_name',
      // node-vault's tokenCreateRole sends no body when it has no fields to send.
      schema: { params: roleParams, body: { anyOf: [{ type: 'null' }, createBody] } },
      handler: create(false),
    });
    tokenRoleRoutes(app, roles);
    // Vault's `vault list auth/token/accessors`: every token's accessor, for an admin to find and revoke tokens.
    app.route({
      method: LIST_METHOD as 'GET',
      url: '/v1/auth/token/accessors',
      config: { sudo: true }, // root-protected in Vault: list and sudo
      handler: async (_req, reply) => reply.answer(listAnswer((await tokens.accessors()).sort())),
    });
    app.route({
      method: ['POST', 'PUT'],
      // Vault ACLs this path like any other (update; no sudo): granting it is the permission.
      url: '/v1/auth/token/create-orphan',
      schema: { body: createBody },
      handler: create(true),
    });

    const lookupSelf = async (req: FastifyRequest, reply: import('fastify').FastifyReply) =>
      reply.answer({ data: lookupData(await self(req), tokens.now(), tokenFrom(req) ?? '') });
    app.route({ method: 'GET', url: '/v1/auth/token/lookup-self', handler: lookupSelf });
    app.route({ method: ['POST', 'PUT'], url: '/v1/auth/token/lookup-self', schema: { body: emptyBody }, handler: lookupSelf });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/lookup',
      schema: { body: tokenBody },
      handler: async (req, reply) => {
        const { token } = req.body as { token: string };
        return reply.answer({ data: lookupData(await byToken(token), tokens.now(), token) });
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/lookup-accessor',
      schema: { body: accessorBody },
      handler: async (req, reply) => {
        const { accessor } = req.body as { accessor: string };
        return reply.answer({ data: lookupData(await byAccessor(accessor), tokens.now(), '') });
      },
    });

    const renewed = async (reply: import('fastify').FastifyReply, token: string, stored: StoredToken, increment?: string | number) => {
      const inc = increment === undefined ? undefined : parseDuration(increment, 'increment');
      // As in Vault, a token made through a role renews under the role as it is now: a deleted
      // role stops its tokens' renewals, and a changed period reaches them at their next one.
      // (A token that never expires has nothing to renew, whatever became of its role.)
      const roleName = stored.expireTime === 0 ? undefined : stored.record.role;
      const role = roleName ? await roles.find(roleName) : undefined;
      if (roleName && !role) throw badRequest(`original token role (${roleName}) could not be found, not renewing`);
      const s = await tokens.renew(stored, inc, role);
      return reply.answer({ auth: authBlock(token, s.record, s.expireTime, tokens.now()) });
    };
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/renew-self',
      schema: { body: { anyOf: [{ type: 'null' }, renewSelfBody] } },
      handler: async (req, reply) => {
        const b = (req.body ?? {}) as { increment?: string | number };
        return renewed(reply, tokenFrom(req) ?? '', await self(req), b.increment);
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/renew',
      schema: { body: renewBody },
      handler: async (req, reply) => {
        const b = req.body as { token: string; increment?: string | number };
        return renewed(reply, b.token, await byToken(b.token), b.increment);
      },
    });

    const revoked = async (reply: import('fastify').FastifyReply, id: string) => {
      await tokens.revoke(id);
      return reply.code(204).send();
    };
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/revoke-self',
      schema: { body: emptyBody },
      handler: async (req, reply) => revoked(reply, (await self(req)).record.id),
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/revoke',
      schema: { body: tokenBody },
      // Vault answers 204 for an unknown token too: revocation is idempotent.
      handler: async (req, reply) => revoked(reply, hashToken((req.body as { token: string }).token)),
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/revoke-orphan',
      // Vault: sudo in addition to update, since it reshapes another token's tree.
      config: { sudo: true },
      schema: { body: tokenBody },
      handler: async (req, reply) => {
        await tokens.revokeOrphan(hashToken((req.body as { token: string }).token));
        return reply.code(204).send();
      },
    });
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/auth/token/revoke-accessor',
      schema: { body: accessorBody },
      handler: async (req, reply) => revoked(reply, (await byAccessor((req.body as { accessor: string }).accessor)).record.id),
    });
  };
}
