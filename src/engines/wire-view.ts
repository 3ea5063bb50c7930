import { durationSchema, parseDuration, type JsonSchema } from '../../plugins/sdk/index.js';

/**
 * Configs and roles are stored as written ("1h", one statement as a string), but Vault answers
 * reads with durations in whole seconds and statement fields as lists, and its clients rely on
 * that. The plugin's own schema says which fields are which, so this needs no engine knowledge:
 * a field declared with the SDK's durationSchema is a duration; a field that accepts "a string or
 * a list of strings" is a list.
 */
export function wireView(schema: JsonSchema, value: Record<string, unknown>): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(value)) {
    const s = props[field];
    if (s === durationSchema && (typeof v === 'string' || typeof v === 'number')) {
      try {
        out[field] = parseDuration(v, field);
        continue;
      } catch {
        // Stored before validation tightened: show it as written rather than fail the read.
      }
    }
    out[field] = s && typeof v === 'string' && isStringOrStringList(s) ? (v === '' ? [] : [v]) : v;
  }
  return out;
}

function isStringOrStringList(s: JsonSchema): boolean {
  const options = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (!Array.isArray(options) || options.length !== 2) return false;
  const types = options.map((o) => (o.type === 'array' ? `array:${(o.items as JsonSchema | undefined)?.type}` : o.type));
  return types.includes('string') && types.includes('array:string');
}
