import { configError } from './errors.js';

/**
 * Vault's duration input: whole seconds as a number or string ("3600"), or Go-style units
 * ("90s", "15m", "1h30m", "7d" — d is a Vault extension). Output is always whole seconds.
 */
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * The longest duration lessor accepts anywhere: ten years. Vault caps TTLs at its max TTL; here
 * every TTL is capped again where it is used, so this bound only keeps a value in the range where
 * `now + ttl` is still a valid date and a Redis expiry (1e309 is Infinity, 99999999999h overflows
 * both). It is generous on purpose: rotation periods and verification windows may exceed 768h.
 */
export const MAX_DURATION_SECONDS = 10 * 365 * 86400;

/**
 * Parses a duration, or throws a config error (a 400 wherever it surfaces, core or engine) that
 * names the field: for an unreadable value, a negative one, or one beyond MAX_DURATION_SECONDS.
 */
export function parseDuration(value: unknown, field = 'duration'): number {
  const seconds = secondsOf(value);
  if (seconds === undefined) throw configError(`${field} must be a number of seconds or a duration like "1h" or "30m"`);
  if (seconds > MAX_DURATION_SECONDS) throw configError(`${field} must be at most ${MAX_DURATION_SECONDS} seconds (10 years)`);
  return seconds;
}

function secondsOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  // A run of digits long enough to be Infinity fails the bound check; it never reaches a Date.
  if (/^\d+$/.test(v)) return Number(v);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    matched = re.lastIndex;
  }
  return v.length > 0 && matched === v.length && Number.isFinite(total) ? Math.floor(total) : undefined;
}

/** JSON schema for a duration field (validated by fastify, parsed with parseDuration). */
export const durationSchema = {
  anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^(\\d+|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)$' }],
} as const;
