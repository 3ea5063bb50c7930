import type { FastifyInstance, FastifyRequest } from 'fastify';
import { durationSchema, parseDuration } from '../../../plugins/sdk/index.js';
import { badRequest, notFound, permissionDenied } from '../../errors.js';
import { normaliseLeaseId, normalisePrefix } from '../../leases/lease-ids.js';
import type { Caller, LeaseService } from '../../leases/lease-service.js';
import { listAnswer } from '../envelope.js';
import { LIST_METHOD } from '../request-shape.js';

/**
 * sys/leases/* and Vault's legacy aliases (sys/renew, sys/revoke, sys/revoke-prefix) that
 * node-vault still calls. Lease ids contain slashes, so where Vault puts one in the path the
 * route is a wildcard. Thin: every handler calls one LeaseService method.
 */
const nullableDuration = { anyOf: [...durationSchema.anyOf, { type: 'null' }] };
const syncField = { anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['true', 'false'] }] };
const leaseBody = (required: boolean, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  additionalProperties: false,
  ...(required ? { required: ['lease_id'] } : {}),
  properties: { lease_id: { type: 'string', minLength: 1, maxLength: 1024 }, ...extra },
});
// hvac repeats the path's prefix in the body as prefix, node-vault as path_prefix; accepted, must agree.
const prefixBody = {
  type: 'object', additionalProperties: false,
  properties: { prefix: { type: 'string' }, path_prefix: { type: 'string' }, sync: syncField },
};

function caller(req: FastifyRequest): Caller {
  if (!req.identity) throw permissionDenied();
  return { identity: req.identity, path: req.policyPath, list: req.method === LIST_METHOD };
}

/** The lease id from the path (wildcard) or the body; both given must agree. */
function leaseIdOf(req: FastifyRequest): string {
  const fromPath = normaliseLeaseId((req.params as Record<string, string> | undefined)?.['*'] ?? '');
  const fromBody = normaliseLeaseId(String((req.body as { lease_id?: string } | undefined)?.lease_id ?? ''));
  if (fromPath && fromBody && fromPath !== fromBody) throw badRequest('lease_id in the body differs from the one in the path');
  const id = fromPath || fromBody;
  if (!id) throw badRequest('missing required field "lease_id"');
  return id;
}

function prefixOf(req: FastifyRequest): string {
  const prefix = normalisePrefix((req.params as Record<string, string>)['*'] ?? '');
  const body = req.body as { prefix?: string; path_prefix?: string } | undefined;
  for (const sent of [body?.prefix, body?.path_prefix]) {
    if (sent !== undefined && normalisePrefix(sent) !== prefix) throw badRequest('prefix in the body differs from the one in the path');
  }
  if (!prefix) throw badRequest('a prefix is required');
  return prefix;
}

function isSync(req: FastifyRequest): boolean {
  const q = (req.query as Record<string, string> | undefined)?.sync;
  const b = (req.body as { sync?: boolean | string } | undefined)?.sync;
  return String(q ?? b ?? 'true') !== 'false';
}

export function sysLeaseRoutes(leases: LeaseService) {
  return async (app: FastifyInstance) => {
    const write = ['POST', 'PUT'] as ('POST' | 'PUT')[];
    // An empty body is no fields (hvac and node-vault send none on prefix paths), not an error.
    app.addHook('preValidation', async (req) => {
      if (req.body === null || req.body === undefined) req.body = {};
    });

    for (const base of ['/v1/sys/leases/renew', '/v1/sys/renew']) {
      for (const [url, required] of [[base, true], [`${base}/*`, false]] as const) {
        app.route({
          method: write, url, schema: { body: leaseBody(required, { increment: nullableDuration }) },
          handler: async (req, reply) => {
            const inc = (req.body as { increment?: number | string | null } | undefined)?.increment;
            let increment: number | undefined;
            try {
              increment = inc === null || inc === undefined ? undefined : parseDuration(inc, 'increment');
            } catch (err) {
              throw badRequest((err as Error).message);
            }
            const r = await leases.renew(caller(req), leaseIdOf(req), increment);
            return reply.answer({ leaseId: r.leaseId, leaseDuration: r.leaseDuration, renewable: r.renewable, warnings: r.warnings });
          },
        });
      }
    }

    for (const base of ['/v1/sys/leases/revoke', '/v1/sys/revoke']) {
      for (const [url, required] of [[base, true], [`${base}/*`, false]] as const) {
        app.route({
          method: write, url, schema: { body: leaseBody(required, { sync: syncField }) },
          handler: async (req, reply) => {
            const sync = isSync(req);
            await leases.revoke(caller(req), leaseIdOf(req), sync);
            return reply.code(sync ? 204 : 202).send();
          },
        });
      }
    }

    app.route({
      method: write, url: '/v1/sys/leases/lookup', schema: { body: leaseBody(true) },
      handler: async (req, reply) => reply.answer({ data: await leases.lookup(caller(req), leaseIdOf(req)) }),
    });

    for (const url of ['/v1/sys/leases/lookup', '/v1/sys/leases/lookup/*']) {
      app.route({
        method: LIST_METHOD as 'GET', url,
        handler: async (req, reply) => {
          const prefix = normalisePrefix((req.params as Record<string, string>)['*'] ?? '');
          const keys = await leases.list(caller(req), prefix);
          if (keys.length === 0) throw notFound(`no leases under ${prefix || 'the root'}`);
          return reply.answer(listAnswer(keys));
        },
      });
    }

    // revoke-prefix only queues: 100,000 leases answer at once and the reapers drain them.
    for (const url of ['/v1/sys/leases/revoke-prefix/*', '/v1/sys/revoke-prefix/*']) {
      app.route({
        method: write, url, schema: { body: { ...prefixBody } }, config: { sudo: true },
        handler: async (req, reply) => {
          caller(req);
          await leases.revokePrefix(prefixOf(req));
          return reply.code(isSync(req) ? 204 : 202).send();
        },
      });
    }

    for (const url of ['/v1/sys/leases/revoke-force/*', '/v1/sys/revoke-force/*']) {
      app.route({
        method: write, url, schema: { body: { ...prefixBody } }, config: { sudo: true },
        handler: async (req, reply) => {
          await leases.revokeForce(caller(req), prefixOf(req));
          return reply.code(204).send();
        },
      });
    }

    const irrevocable = async (_req: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const ids = await leases.irrevocable();
      const recs = await leases.store.getMany(ids);
      return reply.answer(listAnswer(ids, {
        leases: recs.filter((r) => r !== undefined).map((r) => ({
          lease_id: r.id, expire_time: new Date(r.expireTime).toISOString(), attempts: r.attempts, error: r.lastError ?? '',
        })),
        lease_count: ids.length,
      }));
    };
    app.route({ method: 'GET', url: '/v1/sys/leases/irrevocable', handler: irrevocable });
    app.route({ method: LIST_METHOD as 'GET', url: '/v1/sys/leases/irrevocable', handler: irrevocable });
  };
}
