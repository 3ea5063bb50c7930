import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EnginePlugin, RouteRequest } from '../../plugins/sdk/index.js';
import { badRequest, notFound, permissionDenied } from '../errors.js';
import { LIST_METHOD } from '../http/request-shape.js';
import type { LeaseService } from '../leases/lease-service.js';
import { targetOf } from '../leases/lease-store.js';
import { cleanEngineError, toHttpError } from './engine-errors.js';
import { IMPLICIT_CONFIG, type EngineInstance, type Engines } from './engines.js';
import { ownerIds } from './owner-ids.js';
import { requesterOf, roleAllowed } from './validate.js';

const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$' } } };
const emptyBody = { type: 'object', additionalProperties: false, properties: {} };

/** `<mount>/<credsPath>/:name`: a credential behind a new lease, intent first. */
export function credsRoutes(app: FastifyInstance, engines: Engines, leases: LeaseService, mount: string, plugins: EnginePlugin[]): void {
  const spec = plugins[0].mount;
  const configPath = plugins.find((p) => p.mount.configPath)?.mount.configPath;
  const roleField = plugins.find((p) => p.mount.roleConfigField)?.mount.roleConfigField;
  const repo = engines.repo;
  const ownerOf = ownerIds(repo, mount);
  /** engines.using, with the lookup's own failures (no such config, one that cannot start) as HTTP errors. */
  const using = <T>(configName: string, fn: (inst: EngineInstance) => Promise<T>, opts?: { at?: number }) =>
    engines.using(mount, configName, fn, opts).catch((err: unknown) => Promise.reject(toHttpError(err, [], { mount, config: configName })));

  const issue = async (req: FastifyRequest, reply: FastifyReply) => {
    const { name: roleName } = req.params as { name: string };
    const identity = req.identity;
    if (!identity) throw permissionDenied();
    // One read of the engines' version counter covers the role and its config's version.
    const at = await repo.counterNow();
    const role = await repo.cachedRole(mount, roleName, at);
    // Vault answers creds of an unknown role with 400 "unknown role: <name>", not 404.
    if (!role) throw badRequest(`unknown role: ${roleName} (no role of that name on ${mount}/)`);
    const configName = configPath && roleField ? String(role[roleField] ?? '') : IMPLICIT_CONFIG;
    // The instance is held until the credential exists: a config write meanwhile does not close
    // its pool under this request.
    const issued = await using(configName, async (inst) => {
      if (!roleAllowed(inst.config, inst.plugin, roleName)) {
        throw badRequest(`role "${roleName}" is not allowed by config "${configName}" (${inst.plugin.mount.allowedRolesField})`);
      }
      const ctx = engines.ctx(mount, inst.plugin);
      const requester = requesterOf(identity);
      let ttls: { ttl?: number; maxTtl?: number };
      try {
        ttls = inst.plugin.roleTtl(role);
      } catch (err) {
        throw badRequest(err instanceof Error ? err.message : String(err));
      }
      const engine = inst.engine;
      try {
        return await leases.issue({
          identity, mount, credsPath: spec.credsPath, plugin: inst.plugin.type, config: configName, roleName, role,
          ttl: ttls.ttl, maxTtl: ttls.maxTtl,
          credentialId: (leaseId, now) => engine.credentialId({ leaseId, roleName, role, requester, now }),
          create: async (r) => {
            // The ownership record the reconciler trusts: written after the pending lease and
            // before the credential exists, so nothing this config made is ever unrecorded.
            let owner: string | undefined;
            if (engine.listCredentials) {
              [owner] = await Promise.all([ownerOf(configName), leases.store.ownedAdd(targetOf({ mount, config: configName }), r.credentialId)]);
            }
            try {
              return await engine.newCredential({ ...r, roleName, role, requester, owner }, ctx);
            } catch (err) {
              throw cleanEngineError(err, inst.secrets);
            }
          },
        });
      } catch (err) {
        throw toHttpError(err, inst.secrets, { mount, config: configName });
      }
    }, { at });
    return reply.answer({ data: issued.data, leaseId: issued.leaseId, leaseDuration: issued.leaseDuration, renewable: issued.renewable });
  };
  const url = `/v1/${mount}/${spec.credsPath}/:name`;
  // Reading a credential is a read in policies, whichever verb the client uses.
  app.route({ method: 'GET', url, schema: { params: nameParams }, handler: issue });
  app.route({ method: ['POST', 'PUT'], url, schema: { params: nameParams, body: emptyBody }, config: { capabilities: ['read', 'update'] }, handler: issue });

  if (!configPath) return;

  app.route({
    method: ['POST', 'PUT'], url: `/v1/${mount}/rotate-root/:name`, schema: { params: nameParams },
    handler: async (req, reply) => {
      const { name } = req.params as { name: string };
      // Held only while the engine rotates: storing the result retires this instance.
      const { before, config, api } = await using(name, async (inst) => {
        if (!inst.engine.rotateRoot) throw badRequest(`the ${inst.plugin.type} engine cannot rotate its root credential`);
        const mountApi = engines.api(mount, inst.plugin);
        try {
          const rotated = (await inst.engine.rotateRoot(mountApi.ctx)).config as Record<string, unknown>;
          return { before: inst.config, config: rotated, api: mountApi };
        } catch (err) {
          throw toHttpError(err, inst.secrets, { mount, config: name });
        }
      });
      // What the rotation changed goes over the config as it is now (compare-and-set): an admin
      // write landing while the target changed its password keeps its own fields.
      const rotated = Object.keys({ ...before, ...config }).filter((k) => !isDeepStrictEqual(before[k], config[k]));
      const apply = async (current: Record<string, unknown>) => {
        const next = { ...current };
        for (const k of rotated) {
          if (k in config) next[k] = config[k];
          else delete next[k];
        }
        return next;
      };
      // The target already has the new secret: persisting it must not be lost to one blip.
      for (let attempt = 1; ; attempt++) {
        try {
          await api.updateConfig!(name, apply);
          break;
        } catch (err) {
          if (attempt >= 5) {
            req.log.error({ mount, config: name }, 'rotate-root: new root credential could not be stored');
            throw err;
          }
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
      req.log.info({ mount, config: name }, 'root credential rotated');
      return reply.code(204).send();
    },
  });

  // Vault's reset: the config's connections are closed and opened again from the stored config.
  // On this replica at once; the version bump makes every other replica do the same on its next
  // use of the config. Requests already running finish on the old connections.
  app.route({
    method: ['POST', 'PUT'], url: `/v1/${mount}/reset/:name`, schema: { params: nameParams },
    handler: async (req, reply) => {
      const { name } = req.params as { name: string };
      if (!(await repo.bumpConfigVersion(mount, name))) throw notFound(`no config named "${name}" on ${mount}/`);
      await engines.forget(mount, name);
      req.log.info({ mount, config: name }, 'connection reset');
      return reply.code(204).send();
    },
  });

  // Reconcile: credentials this config issued (the ownership record), still present in the
  // target, whose lease is gone: a lease record lost with its store, or forgotten by
  // revoke-force after a delete that failed. Anything else in the target (users made by hand,
  // by another config or deployment, by Vault, static roles' users) is never listed.
  app.route({
    method: ['POST', 'PUT'], url: `/v1/${mount}/reconcile/:name`,
    schema: { params: nameParams, body: { type: 'object', additionalProperties: false, properties: { dry_run: { type: 'boolean' } } } },
    handler: async (req, reply) => {
      const { name } = req.params as { name: string };
      const dryRun = (req.body as { dry_run?: boolean } | undefined)?.dry_run !== false;
      const target = targetOf({ mount, config: name });
      const { orphans, revoked } = await using(name, async (inst) => {
        const { engine } = inst;
        if (!engine.listCredentials) throw badRequest(`the ${inst.plugin.type} engine cannot list its credentials`);
        const ctx = engines.ctx(mount, inst.plugin);
        const present = new Set<string>();
        const marked = new Set<string>();
        try {
          for await (const id of engine.listCredentials(ctx)) present.add(id);
          if (engine.listMarked) for await (const id of engine.listMarked(await ownerOf(name), ctx)) marked.add(id);
        } catch (err) {
          throw toHttpError(err, inst.secrets, { mount, config: name });
        }
        // Read in this order, each after the one before: a credential being issued has its
        // pending lease written before its ownership record, so an owned id without a lease
        // was revoked or lost; one whose revocation finished between the reads left the
        // ownership record before its lease, so the second read of the record drops it.
        // A credential carrying this config's mark in the target is its own too, even if the
        // record was lost with the lease store.
        const owned = await leases.store.ownedList(target);
        const live = await engines.liveCredentialIds(mount, name);
        const stillOwned = new Set(await leases.store.ownedList(target));
        const candidates = new Set([...owned.filter((id) => present.has(id) && stillOwned.has(id)), ...marked]);
        const orphans = [...candidates].filter((id) => !live.has(id)).sort();
        const revoked: string[] = [];
        if (!dryRun) {
          for (const credentialId of orphans) {
            try {
              await engine.deleteCredential({ credentialId, roleName: '', role: {}, internal: undefined }, ctx);
              await leases.store.ownedRemove(target, credentialId);
              revoked.push(credentialId);
            } catch (err) {
              req.log.warn({ mount, credentialId, error: cleanEngineError(err, inst.secrets).message }, 'reconcile: orphan not revoked');
            }
          }
          req.log.info({ mount, config: name, orphans: orphans.length, revoked: revoked.length }, 'reconcile: orphans revoked');
        }
        return { orphans, revoked };
      });
      return reply.answer({ data: { dry_run: dryRun, orphans, revoked } });
    },
  });
}

/** Each plugin's own routes; identical method+path from plugins sharing a mount register once. */
export function pluginRoutes(app: FastifyInstance, engines: Engines, mount: string, plugins: EnginePlugin[]): void {
  const seen = new Set<string>();
  for (const plugin of plugins) {
    for (const route of plugin.routes ?? []) {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const api = engines.api(mount, plugin);
      const hasBody = route.method === 'POST' || route.method === 'PUT';
      app.route({
        method: (route.method === 'LIST' ? LIST_METHOD : route.method) as 'GET',
        url: `/v1/${mount}/${route.path}`,
        config: {
          public: route.public,
          capabilities: route.capabilities,
          exists: route.exists && (async (req) => {
            try {
              return await route.exists!({ params: (req.params ?? {}) as Record<string, string> }, api);
            } catch (err) {
              throw toHttpError(err, await engines.knownSecrets(mount));
            }
          }),
        },
        schema: hasBody ? { body: route.body ?? emptyBody } : {},
        handler: async (req, reply) => {
          const rr: RouteRequest = {
            params: (req.params ?? {}) as Record<string, string>,
            query: (req.query ?? {}) as Record<string, string>,
            body: (req.body ?? {}) as Record<string, unknown>,
            requester: req.identity ? requesterOf(req.identity) : undefined,
            origin: `${req.protocol}://${req.host}`,
          };
          let res;
          try {
            res = await route.handler(rr, api);
          } catch (err) {
            throw toHttpError(err, await engines.knownSecrets(mount));
          }
          for (const [k, v] of Object.entries(res.headers ?? {})) reply.header(k, v);
          if (res.status === 204) return reply.code(204).send();
          if (res.raw) return reply.code(200).type('application/json').send(res.data);
          return reply.answer({ data: res.data, warnings: res.warnings });
        },
      });
    }
  }
}
