import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../../crypto/keyring.js';

/** `sys/rotate` (adds a key term) and `sys/key-status` (the current term), as Vault answers them. */
export function sysKeyRoutes(ring: Keyring, onRotated: () => void) {
  return async (app: FastifyInstance) => {
    app.route({
      method: ['POST', 'PUT'],
      url: '/v1/sys/rotate',
      config: { sudo: true }, // root-protected in Vault: update and sudo
      schema: { body: { anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false }] } },
      handler: async (req, reply) => {
        const status = await ring.rotate();
        req.log.info({ term: status.term }, 'keyring rotated');
        onRotated();
        return reply.code(204).send();
      },
    });
    app.route({
      method: 'GET',
      url: '/v1/sys/key-status',
      handler: async (_req, reply) => {
        const s = await ring.refreshedStatus();
        return reply.answer({ data: { term: s.term, install_time: s.installTime.toISOString() } });
      },
    });
  };
}
