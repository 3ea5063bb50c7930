import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { badRequest } from '../errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, nulPath, nulRefused } from './input-limits.js';

/**
 * Vault reads every request body as JSON whatever its Content-Type (curl -d sends
 * application/x-www-form-urlencoded; some clients send application/json with an empty body on
 * DELETE), so lessor does the same: an empty body is no body, anything else must be JSON.
 * secure-json-parse refuses __proto__/constructor poisoning, as fastify's own parser does.
 * A body nested deeper than MAX_JSON_DEPTH, or holding a NUL byte, is refused here, so no hook or
 * handler walks it. JSON can carry a NUL only as the escape \u0000, so a body whose text has none
 * (nearly every one) is not walked for it.
 */
export function acceptJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = sjson.parse(text);
    } catch {
      const err = new Error('request body is not valid JSON') as Error & { statusCode: number };
      err.statusCode = 400;
      return done(err, undefined);
    }
    if (nestsDeeperThan(parsed, MAX_JSON_DEPTH)) return done(badRequest(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    const nulAt = text.includes('\\u0000') ? nulPath(parsed, 'body') : undefined;
    if (nulAt) return done(nulRefused(nulAt), undefined);
    done(null, parsed);
  });
}
