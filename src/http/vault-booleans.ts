import type { FastifyInstance, preValidationHookHandler, RouteOptions } from 'fastify';

/**
 * Vault reads booleans with Go's strconv.ParseBool, so `vault write … orphan=1` (the CLI sends
 * every value as a string) means true there. ajv's coercion takes only "true"/"false" (and 1/0
 * as numbers); this turns the rest of ParseBool's spellings into booleans before validation, on
 * the routes whose body schema has boolean fields and only on those (renew and verify pay
 * nothing).
 */
const PARSE_BOOL: Record<string, boolean> = {
  1: true, t: true, T: true, TRUE: true, true: true, True: true,
  0: false, f: false, F: false, FALSE: false, false: false, False: false,
};

type Schema = Record<string, unknown>;

function isBooleanField(s: unknown): boolean {
  if (!s || typeof s !== 'object') return false;
  const { type, anyOf, oneOf } = s as Schema;
  if (type === 'boolean' || (Array.isArray(type) && type.includes('boolean'))) return true;
  return [anyOf, oneOf].some((list) => Array.isArray(list) && list.some(isBooleanField));
}

/** Top-level boolean fields of a body schema, through anyOf/oneOf/allOf unions of objects. */
export function booleanFields(schema: unknown, out = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== 'object') return out;
  const s = schema as Schema;
  if (s.properties && typeof s.properties === 'object') {
    for (const [name, field] of Object.entries(s.properties as Schema)) if (isBooleanField(field)) out.add(name);
  }
  for (const list of [s.anyOf, s.oneOf, s.allOf]) if (Array.isArray(list)) for (const sub of list) booleanFields(sub, out);
  return out;
}

export function installVaultBooleans(app: FastifyInstance) {
  app.addHook('onRoute', (route: RouteOptions) => {
    const fields = [...booleanFields(route.schema?.body)];
    if (fields.length === 0) return;
    const hook: preValidationHookHandler = (req, _reply, done) => {
      const body = req.body as Record<string, unknown> | undefined;
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        for (const f of fields) {
          const v = body[f];
          if (typeof v === 'string' && v in PARSE_BOOL) body[f] = PARSE_BOOL[v];
        }
      }
      done();
    };
    const existing = route.preValidation ?? [];
    route.preValidation = [hook, ...(Array.isArray(existing) ? existing : [existing])];
  });
}
