import type { FastifyInstance } from 'fastify';

/**
 * hvac sends optional arguments the caller left out as JSON null (e.g. secret-id `metadata`);
 * Vault treats a null field as absent, and so do these routes, before schema validation.
 */
export function dropNullFields(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const body = req.body as Record<string, unknown> | null | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return;
    for (const [k, v] of Object.entries(body)) if (v === null) delete body[k];
  });
}
