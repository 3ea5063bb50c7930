import type { FastifyInstance } from 'fastify';
import type { AuditHasher } from '../../audit/scrub.js';

/** `sys/audit-hash`: the HMAC of a value as the audit log writes it, to search the log for it. */
const body = { type: 'object', additionalProperties: false, required: ['input'], properties: { input: { type: 'string' } } } as const;

export function sysAuditHashRoutes(h: AuditHasher) {
  return async (app: FastifyInstance) => {
    for (const url of ['/v1/sys/audit-hash', '/v1/sys/audit-hash/:path']) {
      app.route({
        method: ['POST', 'PUT'],
        url,
        schema: { body },
        handler: async (req, reply) => reply.answer({ data: { hash: h.hash((req.body as { input: string }).input) } }),
      });
    }
  };
}
