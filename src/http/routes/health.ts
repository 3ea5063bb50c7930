import type { FastifyInstance } from 'fastify';
import { LESSOR_VERSION } from '../../version.js';

export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

/** Vault's health shape, plus which dependency is down when the answer is 503. */
export function healthRoutes(checks: HealthCheck[]) {
  return async (app: FastifyInstance) => {
    app.route({
      method: ['GET', 'HEAD'],
      url: '/v1/sys/health',
      config: { public: true },
      handler: async (_req, reply) => {
        const results = await Promise.all(
          checks.map(async (c) => {
            try {
              await withTimeout(c.check(), 2000);
              return null;
            } catch {
              return c.name;
            }
          }),
        );
        const down = results.filter((n): n is string => n !== null);
        const body: Record<string, unknown> = {
          initialized: true,
          sealed: false,
          standby: false,
          version: LESSOR_VERSION,
          server_time_utc: Math.floor(Date.now() / 1000),
        };
        if (down.length > 0) {
          body.errors = down.map((n) => `${n} is unreachable`);
          return reply.code(503).type('application/json').send(body);
        }
        return reply.code(200).type('application/json').send(body);
      },
    });
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
