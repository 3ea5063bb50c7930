/**
 * Vault's duration input: whole seconds as a number or string ("3600"), or Go-style units
 * ("90s", "15m", "1h30m", "7d" — d is a Vault extension). Output is always whole seconds.
 */
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

export function parseDuration(value: unknown, field = 'duration'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value);
  if (typeof value === 'string') {
    const v = value.trim();
    if (/^\d+$/.test(v)) return Number(v);
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
    let total = 0;
    let matched = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(v)) !== null) {
      total += Number(m[1]) * UNIT_SECONDS[m[2]];
      matched = re.lastIndex;
    }
    if (v.length > 0 && matched === v.length) return Math.floor(total);
  }
  throw new Error(`${field} must be a number of seconds or a duration like "1h" or "30m"`);
}

/** JSON schema for a duration field (validated by fastify, parsed with parseDuration). */
export const durationSchema = {
  anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^(\\d+|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)$' }],
} as const;
