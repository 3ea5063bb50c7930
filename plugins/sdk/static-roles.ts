/**
 * Vault's static-role paths for the database mount, shared by the postgres and mysql plugins
 * (the core registers an identical route once): `static-roles/:name`, `static-creds/:name`,
 * `rotate-role/:name`. The engine behind a static role is found through its db_name, so one
 * set of routes serves every database plugin on the mount.
 */
import { roleListAllows } from './comma-list.js';
import { durationSchema, parseDuration } from './duration.js';
import { configError, notFoundError } from './errors.js';
import {
  STATIC_KIND, jobIdFor, nextRotation, rotateStaticRole, runStaticRoleJob, staticUserKey, type StaticRoleDoc,
} from './static-rotation.js';
import type { EngineRoute, MountApi, RouteRequest } from './types.js';
import { SAFE_USERNAME } from './usernames.js';

const statements = { anyOf: [{ type: 'string', maxLength: 65536 }, { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 65536 } }] };

export const staticRoleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    db_name: { type: 'string', minLength: 1, maxLength: 256 },
    username: { type: 'string', minLength: 1, maxLength: 128 },
    rotation_period: durationSchema,
    rotation_schedule: { type: 'string', minLength: 1, maxLength: 256 },
    rotation_statements: statements,
    credential_type: { type: 'string', enum: ['password'] },
  },
} as const;

/** Vault's minimum rotation period. */
const MIN_PERIOD_S = 5;
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

function nameOf(req: Pick<RouteRequest, 'params'>): string {
  const name = req.params.name ?? '';
  if (!NAME.test(name)) throw configError('invalid static role name');
  return name;
}

/** Vault's words: a role and a static role on one mount never share a name (path_roles.go). */
const NAME_CLASH = 'Role and Static Role names must be unique';

export async function staticRoleNameConflict(roleName: string, api: MountApi): Promise<string | undefined> {
  return (await api.docs.get(STATIC_KIND, roleName)) === undefined ? undefined : NAME_CLASH;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function ttlOf(doc: StaticRoleDoc, now: number): number {
  return Math.max(0, Math.floor(((doc.next_rotation ?? nextRotation(doc, doc.last_vault_rotation ?? now)) - now) / 1000));
}

function describe(doc: StaticRoleDoc, now: number) {
  return {
    db_name: doc.db_name,
    username: doc.username,
    credential_type: 'password',
    ...(doc.rotation_period !== undefined ? { rotation_period: doc.rotation_period } : {}),
    ...(doc.rotation_schedule !== undefined ? { rotation_schedule: doc.rotation_schedule } : {}),
    rotation_statements: doc.rotation_statements === undefined ? [] : [doc.rotation_statements].flat(),
    last_vault_rotation: iso(doc.last_vault_rotation),
    ttl: ttlOf(doc, now),
  };
}

async function writeStaticRole(req: RouteRequest, api: MountApi) {
  const name = nameOf(req);
  const body = req.body as Record<string, unknown>;
  if (await api.readRole(name)) throw configError(NAME_CLASH);
  const existing = await api.docs.get<StaticRoleDoc>(STATIC_KIND, name);
  const dbName = (body.db_name as string | undefined) ?? existing?.db_name;
  const username = (body.username as string | undefined) ?? existing?.username;
  if (!dbName) throw configError('missing required field "db_name"');
  if (!username) throw configError('missing required field "username"');
  if (existing && username !== existing.username) throw configError('username of a static role cannot be changed');
  if (!SAFE_USERNAME.test(username)) throw configError('username must be letters, digits, "_", "." and "-"');
  const config = await api.readConfig(dbName);
  if (!config) throw configError(`config "${dbName}" does not exist`);
  if (!roleListAllows(config.allowed_roles, name)) throw configError(`role "${name}" is not allowed by config "${dbName}" (add it to allowed_roles)`);

  if (body.rotation_period !== undefined && body.rotation_schedule !== undefined) {
    throw configError('set rotation_period or rotation_schedule, not both');
  }
  // The request's settings, laid over the role as it is when written: a rotation running
  // meanwhile owns the password fields, and this write must not put back the ones it read.
  const settle = (base: StaticRoleDoc | undefined): StaticRoleDoc => {
    const doc: StaticRoleDoc = { ...base, db_name: dbName, username };
    if (body.rotation_period !== undefined) {
      doc.rotation_period = parseDuration(body.rotation_period, 'rotation_period');
      delete doc.rotation_schedule;
      if (doc.rotation_period < MIN_PERIOD_S) throw configError(`rotation_period must be at least ${MIN_PERIOD_S}s`);
    }
    if (body.rotation_schedule !== undefined) {
      doc.rotation_schedule = String(body.rotation_schedule);
      delete doc.rotation_period;
    }
    if (doc.rotation_period === undefined && doc.rotation_schedule === undefined) {
      throw configError('one of rotation_period or rotation_schedule is required');
    }
    nextRotation(doc, api.ctx.now()); // validates the cron expression
    if (body.rotation_statements !== undefined) doc.rotation_statements = body.rotation_statements as string | string[];
    return doc;
  };
  settle(existing); // bad input answers before anything is written

  // An update goes only over a role that still exists (a delete meanwhile wins).
  const written = existing
    ? await api.docs.update<StaticRoleDoc>(STATIC_KIND, name, (d) => d && settle(d))
    : await api.docs.update<StaticRoleDoc>(STATIC_KIND, name, (d) => settle(d));
  if (!written) throw notFoundError(`no static role named "${name}"`);
  await api.ctx.state.set(staticUserKey(username), name);
  if (!existing) {
    // As Vault: a new static role takes over the user by rotating its password at once.
    try {
      await rotateStaticRole(api, name);
    } catch (err) {
      await api.docs.delete(STATIC_KIND, name);
      await api.unschedule(jobIdFor(name));
      await api.ctx.state.del(staticUserKey(username));
      throw err;
    }
  } else {
    // A new period or schedule moves the next rotation; one in progress schedules its own.
    const now = api.ctx.now();
    const doc = await api.docs.update<StaticRoleDoc>(STATIC_KIND, name, (d) =>
      d && !d.pending ? { ...d, next_rotation: nextRotation(d, d.last_vault_rotation ?? now) } : undefined);
    if (doc && !doc.pending && doc.next_rotation !== undefined) await api.schedule(jobIdFor(name), doc.next_rotation);
  }
  return { status: 204 as const };
}

/**
 * The named static role. Reading it is a 404 when there is none; Vault answers static-creds
 * and rotate-role of an unknown role with a 400 instead (`unknownIs400`).
 */
async function loaded(req: RouteRequest, api: MountApi, unknownIs400 = false): Promise<[string, StaticRoleDoc]> {
  const name = nameOf(req);
  const doc = await api.docs.get<StaticRoleDoc>(STATIC_KIND, name);
  if (!doc) throw unknownIs400 ? configError(`unknown role: ${name} (no static role of that name)`) : notFoundError(`no static role named "${name}"`);
  return [name, doc];
}

const staticRoleExists = async (req: Pick<RouteRequest, 'params'>, api: MountApi) => (await api.docs.get(STATIC_KIND, nameOf(req))) !== undefined;

export const staticRoleRoutes: EngineRoute[] = [
  { method: 'POST', path: 'static-roles/:name', body: staticRoleSchema, exists: staticRoleExists, handler: writeStaticRole },
  { method: 'PUT', path: 'static-roles/:name', body: staticRoleSchema, exists: staticRoleExists, handler: writeStaticRole },
  {
    method: 'GET', path: 'static-roles/:name',
    handler: async (req, api) => {
      const [, doc] = await loaded(req, api);
      return { data: describe(doc, api.ctx.now()) };
    },
  },
  {
    method: 'DELETE', path: 'static-roles/:name',
    handler: async (req, api) => {
      const name = nameOf(req);
      const doc = await api.docs.get<StaticRoleDoc>(STATIC_KIND, name);
      await api.docs.delete(STATIC_KIND, name);
      await api.unschedule(jobIdFor(name));
      if (doc) await api.ctx.state.del(staticUserKey(doc.username));
      return { status: 204 };
    },
  },
  {
    method: 'LIST', path: 'static-roles',
    handler: async (_req, api) => {
      const keys = await api.docs.list(STATIC_KIND);
      if (keys.length === 0) throw notFoundError('no static roles');
      return { data: { keys } };
    },
  },
  {
    method: 'GET', path: 'static-creds/:name',
    handler: async (req, api) => {
      const [name, doc] = await loaded(req, api, true);
      // Between apply and promote the database already has the pending password.
      const password = doc.pending?.applied ? doc.pending.password : doc.password;
      if (!password) throw notFoundError(`static role "${name}" has no password yet`);
      const now = api.ctx.now();
      return {
        data: {
          username: doc.username,
          password,
          last_vault_rotation: iso(doc.last_vault_rotation),
          ttl: ttlOf(doc, now),
          ...(doc.rotation_period !== undefined ? { rotation_period: doc.rotation_period } : {}),
          ...(doc.rotation_schedule !== undefined ? { rotation_schedule: doc.rotation_schedule } : {}),
        },
      };
    },
  },
  {
    method: 'POST', path: 'rotate-role/:name', capabilities: ['update'],
    handler: async (req, api) => {
      const [name] = await loaded(req, api, true);
      await rotateStaticRole(api, name);
      return { status: 204 };
    },
  },
  {
    method: 'PUT', path: 'rotate-role/:name', capabilities: ['update'],
    handler: async (req, api) => {
      const [name] = await loaded(req, api, true);
      await rotateStaticRole(api, name);
      return { status: 204 };
    },
  },
];

export { runStaticRoleJob };
