import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.js';

export function metricsRoutes(metrics: Metrics) {
  return async (app: FastifyInstance) => {
    app.get('/v1/sys/metrics', async (_req, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  };
}
