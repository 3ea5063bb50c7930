import type { FastifyInstance } from 'fastify';
import type { LeaseService } from '../leases/lease-service.js';
import { configAndRoleRoutes } from './config-routes.js';
import { credsRoutes, pluginRoutes } from './creds-routes.js';
import type { Engines } from './engines.js';

/** Every mount's Vault-shaped routes, generated from its plugins' MountSpecs. */
export function engineRoutes(engines: Engines, leases: LeaseService) {
  return async (app: FastifyInstance) => {
    // An empty body is no fields (GET-style POSTs to creds/, rotate-root), not an error.
    app.addHook('preValidation', async (req) => {
      if ((req.body === null || req.body === undefined) && req.method !== 'GET' && req.method !== 'DELETE') req.body = {};
    });
    for (const [mount, plugins] of engines.mounts) {
      configAndRoleRoutes(app, engines, mount, plugins);
      credsRoutes(app, engines, leases, mount, plugins);
      pluginRoutes(app, engines, mount, plugins);
    }
  };
}
