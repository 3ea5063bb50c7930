import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { splitCommaLists, type EnginePlugin, type JsonSchema } from '../../plugins/sdk/index.js';
import { badRequest, LessorError, notFound } from '../errors.js';
import { listAnswer } from '../http/envelope.js';
import { LIST_METHOD } from '../http/request-shape.js';
import { secretsOf, toHttpError } from './engine-errors.js';
import { getPath } from './engine-repo.js';
import type { Engines } from './engines.js';
import { roleAllowed, unionSchema, validateWith } from './validate.js';
import { wireView } from './wire-view.js';

const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$' } } };
const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;

/** `<mount>/<configPath>/:name` and `<mount>/<rolesPath>/:name`: write, read, delete, list. */
export function configAndRoleRoutes(app: FastifyInstance, engines: Engines, mount: string, plugins: EnginePlugin[]): void {
  const spec = plugins[0].mount;
  const repo = engines.repo;
  const configPath = plugins.find((p) => p.mount.configPath)?.mount.configPath;
  const pluginField = plugins.find((p) => p.mount.pluginField)?.mount.pluginField;

  /** The config as the engine accepts it (verifying the connection unless told not to). */
  const initialized = async (plugin: EnginePlugin, candidate: Record<string, unknown>, verifyConnection: boolean) => {
    const engine = plugin.create();
    try {
      const { config } = await engine.initialize({ config: candidate, verifyConnection }, engines.ctx(mount, plugin));
      return (config ?? candidate) as Record<string, unknown>;
    } catch (err) {
      throw toHttpError(err, secretValues(plugin, candidate));
    } finally {
      await engine.close().catch(() => {});
    }
  };

  if (configPath) {
    const extra: Record<string, unknown> = { verify_connection: { type: 'boolean' } };
    if (pluginField) extra[pluginField] = { type: 'string', minLength: 1 };
    const body = unionSchema(plugins.map((p) => p.configSchema), extra);
    const base = `/v1/${mount}/${configPath}`;
    app.route({
      method: ['POST', 'PUT'], url: `${base}/:name`, schema: { params: nameParams, body },
      config: { exists: async (req) => (await repo.readConfig(mount, nameOf(req))) !== undefined },
      handler: async (req, reply) => {
        const { name } = req.params as { name: string };
        const input = { ...(req.body as Record<string, unknown>) };
        // As Vault: an update may leave the plugin out and keeps the stored one.
        const type = pluginField ? input[pluginField] ?? (await repo.readConfig(mount, name))?.plugin : undefined;
        if (pluginField) delete input[pluginField];
        const plugin = engines.pluginFor(mount, type as string | undefined);
        if (!plugin) {
          throw badRequest(pluginField && type === undefined
            ? `missing required field "${pluginField}" (one of: ${plugins.map((p) => p.type).join(', ')})`
            : `unknown engine "${String(type)}" for ${mount}/ (installed: ${plugins.map((p) => p.type).join(', ')})`);
        }
        const verifyConnection = input.verify_connection !== false;
        if (!('verify_connection' in ((plugin.configSchema.properties as object) ?? {}))) delete input.verify_connection;
        splitCommaLists(plugin.configSchema, input);
        // An update lays the request's fields over the stored config, as Vault does, so fields
        // the engine generated itself (signing keys) and secrets not re-sent survive it. It is
        // written only over the version it read: a key rotation or another write landing in
        // between is merged by going round again, not overwritten.
        const stored = await repo.updateConfig(mount, name, async (existing) => {
          const updating = existing !== undefined && existing.plugin === plugin.type;
          validateWith(updating ? withoutRequired(plugin.configSchema) : plugin.configSchema, input);
          const candidate = updating ? { ...existing.config, ...input } : input;
          return { plugin: plugin.type, config: await initialized(plugin, candidate, verifyConnection), secretPaths: plugin.secretConfigPaths };
        }, 3);
        await engines.forget(mount, name);
        req.log.info({ mount, config: name, engine: plugin.type }, 'engine config written');
        await notifyConfigWrite(engines, mount, plugin, name, stored, req.log);
        return reply.code(204).send();
      },
    });
    app.route({
      method: 'GET', url: `${base}/:name`, schema: { params: nameParams },
      handler: async (req, reply) => {
        const { name } = req.params as { name: string };
        const stored = await repo.readConfig(mount, name);
        if (!stored) throw notFound(`no config named "${name}" on ${mount}/`);
        const plugin = engines.pluginFor(mount, stored.plugin);
        const data: Record<string, unknown> = {};
        // Allow-list: only what the plugin declares readable, and never a secret path.
        for (const field of plugin?.readableConfigFields ?? []) {
          if (plugin?.secretConfigPaths.some((s) => s === field || s.startsWith(`${field}.`))) continue;
          const v = getPath(stored.config, field);
          if (v !== undefined) data[field] = v;
        }
        if (pluginField) data[pluginField] = stored.plugin;
        return reply.answer({ data: plugin ? wireView(plugin.configSchema, data) : data });
      },
    });
    app.route({
      method: 'DELETE', url: `${base}/:name`, schema: { params: nameParams },
      handler: async (req, reply) => {
        const { name } = req.params as { name: string };
        const existing = await repo.readConfig(mount, name);
        await repo.deleteConfig(mount, name);
        await engines.forget(mount, name);
        const plugin = existing && engines.pluginFor(mount, existing.plugin);
        if (plugin) await notifyConfigWrite(engines, mount, plugin, name, undefined, req.log);
        return reply.code(204).send();
      },
    });
    app.route({
      method: LIST_METHOD as 'GET', url: base,
      handler: async (_req, reply) => {
        const keys = await repo.listConfigs(mount);
        if (keys.length === 0) throw notFound(`no configs on ${mount}/`);
        return reply.answer(listAnswer(keys));
      },
    });
  }

  const rolesBase = `/v1/${mount}/${spec.rolesPath}`;
  const roleField = plugins.find((p) => p.mount.roleConfigField)?.mount.roleConfigField;
  app.route({
    method: ['POST', 'PUT'], url: `${rolesBase}/:name`, schema: { params: nameParams, body: unionSchema(plugins.map((p) => p.roleSchema)) },
    config: { exists: async (req) => (await repo.readRole(mount, nameOf(req))) !== undefined },
    handler: async (req, reply) => {
      const { name } = req.params as { name: string };
      const input = req.body as Record<string, unknown>;
      // The config, and so the engine, is found before the row lock is taken: in dev mode the
      // embedded database has one connection, and the locked transaction holds it.
      const configName = roleField ? input[roleField] ?? (await repo.readRole(mount, name))?.[roleField] : undefined;
      const plugin = await engineForRole(name, configName);
      const clash = await plugin.roleNameConflict?.(name, engines.api(mount, plugin));
      if (clash) throw badRequest(clash);
      // As Vault: an update lays the request's fields over the stored role, so
      // `vault write database/roles/r default_ttl=2h` keeps the statements.
      await repo.mergeRole(mount, name, async (stored) => {
        const role = { ...stored, ...input };
        if (roleField && role[roleField] !== configName) {
          throw new LessorError('CONFLICT', `role "${name}" was moved to another config while this write was checked; try again`);
        }
        return checkedRole(plugin, role);
      });
      return reply.code(204).send();
    },
  });

  /** The engine a role of this config runs on, or a 400 saying why there is none. */
  async function engineForRole(name: string, configName: unknown): Promise<EnginePlugin> {
    if (!configPath || !roleField) {
      const plugin = engines.pluginFor(mount);
      if (!plugin) throw badRequest(`no engine for this role on ${mount}/`);
      return plugin;
    }
    if (typeof configName !== 'string' || configName === '') throw badRequest(`missing required field "${roleField}" naming a config under ${mount}/${configPath}/`);
    const stored = await repo.readConfig(mount, configName);
    if (!stored) throw badRequest(`config "${configName}" does not exist under ${mount}/${configPath}/`);
    const plugin = engines.pluginFor(mount, stored.plugin);
    if (!plugin) throw badRequest(`no engine for this role on ${mount}/`);
    if (!roleAllowed(stored.config, plugin, name)) {
      throw badRequest(`role "${name}" is not allowed by config "${configName}" (add it to ${plugin.mount.allowedRolesField})`);
    }
    return plugin;
  }

  /** The role as its engine accepts it, or a 400 saying why not. */
  function checkedRole(plugin: EnginePlugin, role: Record<string, unknown>): Record<string, unknown> {
    splitCommaLists(plugin.roleSchema, role);
    validateWith(plugin.roleSchema, role);
    try {
      plugin.roleTtl(role);
    } catch (err) {
      throw badRequest(err instanceof Error ? err.message : String(err));
    }
    return role;
  }
  app.route({
    method: 'GET', url: `${rolesBase}/:name`, schema: { params: nameParams },
    handler: async (req, reply) => {
      const { name } = req.params as { name: string };
      const role = await repo.readRole(mount, name);
      if (!role) throw notFound(`no role named "${name}" on ${mount}/`);
      // The role's config names its plugin when several share the mount; else the only one.
      const configName = roleField ? role[roleField] : undefined;
      const stored = typeof configName === 'string' ? await repo.readConfig(mount, configName) : undefined;
      const plugin = (stored && engines.pluginFor(mount, stored.plugin)) || plugins[0];
      return reply.answer({ data: plugin ? wireView(plugin.roleSchema, role) : role });
    },
  });
  app.route({
    method: 'DELETE', url: `${rolesBase}/:name`, schema: { params: nameParams },
    handler: async (req, reply) => {
      // Leases keep their own copy of the role: deleting it strands nothing.
      await repo.deleteRole(mount, (req.params as { name: string }).name);
      return reply.code(204).send();
    },
  });
  app.route({
    method: LIST_METHOD as 'GET', url: rolesBase,
    handler: async (_req, reply) => {
      const keys = await repo.listRoles(mount);
      if (keys.length === 0) throw notFound(`no roles on ${mount}/`);
      return reply.answer(listAnswer(keys));
    },
  });
}

function withoutRequired(schema: JsonSchema): JsonSchema {
  const { required: _required, ...rest } = schema;
  return rest;
}

/** EnginePlugin.onConfigWrite (jobs to schedule or drop): a failure is logged, never fatal. */
async function notifyConfigWrite(
  engines: Engines, mount: string, plugin: EnginePlugin, name: string, config: Record<string, unknown> | undefined, log: FastifyBaseLogger,
): Promise<void> {
  if (!plugin.onConfigWrite) return;
  try {
    await plugin.onConfigWrite(name, config, engines.api(mount, plugin));
  } catch (err) {
    log.warn({ mount, config: name, error: err instanceof Error ? err.message : String(err) }, 'engine onConfigWrite failed');
  }
}

function secretValues(plugin: EnginePlugin, config: Record<string, unknown>): string[] {
  return secretsOf(plugin.secretConfigPaths.map((p) => getPath(config, p)));
}
