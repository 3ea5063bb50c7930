import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';

/**
 * Vault reads every request body as JSON whatever its Content-Type (curl -d sends
 * application/x-www-form-urlencoded; some clients send application/json with an empty body on
 * DELETE), so lessor does the same: an empty body is no body, anything else must be JSON.
 * secure-json-parse refuses __proto__/constructor poisoning, as fastify's own parser does.
 */
export function acceptJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, sjson.parse(text));
    } catch {
      const err = new Error('request body is not valid JSON') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });
}
