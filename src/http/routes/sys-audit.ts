import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors.js';

/** An audit sink from the server's configuration, as `vault audit list` shows a device. */
export interface AuditDevice {
  path: string;
  filePath: string;
}

/**
 * `sys/audit`: the configured audit sinks in Vault's shape, so `vault audit list` works. Sinks
 * come from the server's configuration only (LESSOR_AUDIT_FILE, LESSOR_AUDIT_STDOUT): enabling or
 * disabling one over the API is refused with a 400 that says where they are set, and changes
 * nothing; a token that could switch auditing off would defeat it.
 */
export function sysAuditRoutes(devices: AuditDevice[]) {
  const view = Object.fromEntries(devices.map((d) => [`${d.path}/`, {
    type: 'file', description: '', local: false, path: `${d.path}/`, options: { file_path: d.filePath },
  }]));
  return async (app: FastifyInstance) => {
    // Root-protected in Vault: read (or update) and sudo.
    app.route({ method: 'GET', url: '/v1/sys/audit', config: { sudo: true }, handler: async (_req, reply) => reply.answer({ data: view }) });
    app.route({
      method: ['POST', 'PUT', 'DELETE'],
      url: '/v1/sys/audit/:path',
      config: { sudo: true },
      handler: async () => {
        throw badRequest('audit devices are set in the server\'s configuration (LESSOR_AUDIT_FILE, LESSOR_AUDIT_STDOUT), not over the API');
      },
    });
  };
}
