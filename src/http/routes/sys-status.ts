import type { FastifyInstance } from 'fastify';
import { LESSOR_VERSION } from '../../version.js';

/**
 * `sys/seal-status`, `sys/leader` and `sys/init`, unauthenticated as in Vault: `vault status`, node-vault's
 * `status()` and hvac's `is_sealed()` / `is_initialized()` start with them. lessor has no seal (the master key comes
 * from its configuration, so a running replica is always unsealed) and no leader (every replica
 * serves every request), and says so in Vault's terms.
 */
export function sysStatusRoutes(opts: { storageType: string }) {
  return async (app: FastifyInstance) => {
    app.route({
      method: 'GET',
      url: '/v1/sys/seal-status',
      config: { public: true },
      handler: async (_req, reply) =>
        reply.type('application/json').send({
          type: 'static',
          initialized: true,
          sealed: false,
          t: 1,
          n: 1,
          progress: 0,
          nonce: '',
          version: LESSOR_VERSION,
          build_date: '',
          migration: false,
          recovery_seal: false,
          storage_type: opts.storageType,
        }),
    });
    // Initialised at its first start (migrations, keyring); there is no `vault operator init` step.
    app.route({
      method: 'GET',
      url: '/v1/sys/init',
      config: { public: true },
      handler: async (_req, reply) => reply.type('application/json').send({ initialized: true }),
    });
    app.route({
      method: 'GET',
      url: '/v1/sys/leader',
      config: { public: true },
      handler: async (_req, reply) =>
        reply.type('application/json').send({
          ha_enabled: false,
          is_self: false,
          active_time: '0001-01-01T00:00:00Z',
          leader_address: '',
          leader_cluster_address: '',
          performance_standby: false,
          performance_standby_last_remote_wal: 0,
        }),
    });
  };
}
