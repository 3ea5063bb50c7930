import { Ajv, type ValidateFunction } from 'ajv';
import type { RequestIdentity } from '../auth/access.js';
import { badRequest } from '../errors.js';
import { schemaErrorFormatter } from '../http/error-handler.js';
import { roleListAllows, type EnginePlugin, type JsonSchema, type Requester } from '../../plugins/sdk/index.js';

/**
 * Several plugins can share a mount (postgres and mysql under database/), so a route's body is
 * first checked against the union of their schemas (fastify: unknown fields → 400) and then, once
 * the plugin is known, against that plugin's own schema here.
 */
const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: true, coerceTypes: false });
const compiled = new WeakMap<object, ValidateFunction>();

export function validateWith(schema: JsonSchema, value: unknown, where = 'body'): void {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (!fn(value)) throw badRequest(schemaErrorFormatter(fn.errors as never, where).message);
}

/** The union of plugins' object schemas: every property any of them knows, nothing else. */
export function unionSchema(schemas: JsonSchema[], extra: Record<string, unknown> = {}): JsonSchema {
  const properties: Record<string, unknown> = {};
  for (const s of schemas) {
    for (const [k, v] of Object.entries((s.properties as Record<string, unknown>) ?? {})) if (!(k in properties)) properties[k] = v;
  }
  return { type: 'object', additionalProperties: false, properties: { ...properties, ...extra } };
}

export function requesterOf(identity: RequestIdentity | undefined): Requester {
  return {
    displayName: identity?.displayName ?? '',
    // Entity metadata only: a token's own meta is whatever its creator chose, so not a claim source.
    metadata: identity?.entityMetadata ?? {},
    entityName: identity?.entityName ?? '',
    policies: identity?.policies ?? [],
  };
}

/** Vault's allowed_roles: a list or comma-separated string; "*" for all, a trailing "*" as a glob. */
export function roleAllowed(config: Record<string, unknown>, plugin: EnginePlugin, roleName: string): boolean {
  const field = plugin.mount.allowedRolesField;
  if (!field) return true;
  return roleListAllows(config[field], roleName);
}
