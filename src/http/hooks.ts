import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl } from '../auth/access.js';
import { capabilitiesForMethod } from '../auth/access.js';
import { badRequest, permissionDenied } from '../errors.js';
import { envelope } from './envelope.js';
import { policyPath } from './request-shape.js';

export function tokenFrom(req: FastifyRequest): string | undefined {
  const vault = req.headers['x-vault-token'];
  if (typeof vault === 'string' && vault !== '') return vault;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  return undefined;
}

/** Authentication and authorisation on every route that is not marked public. */
export function installAccessHooks(app: FastifyInstance, access: AccessControl) {
  app.decorateRequest('identity', undefined);
  app.decorateRequest('policyPath', '');
  app.addHook('onRequest', async (req) => {
    req.policyPath = policyPath(req.url);
    const cfg = req.routeOptions.config;
    // Unknown paths answer 404 to everyone, as the issue asks; there is nothing to protect.
    if (cfg.public || req.is404) return;
    const identity = await access.authenticate(tokenFrom(req), { ip: req.ip });
    req.identity = identity;
    const caps = cfg.capabilities ?? capabilitiesForMethod(req.method);
    if (!(await access.authorize(identity, req.policyPath, caps))) throw permissionDenied();
  });
}

/**
 * Vault's response wrapping (`X-Vault-Wrap-TTL`, the CLI's `-wrap-ttl`) is not implemented.
 * Answering unwrapped would hand the secret to whoever was meant to get only a wrapping token
 * (a CI log, a ticket), so the request is refused before it does anything, a token use included.
 */
export function installWrapRefusal(app: FastifyInstance) {
  // A callback hook, not an async one: it runs on every request and needs no promise.
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.headers['x-vault-wrap-ttl'] === undefined) return done();
    done(badRequest('response wrapping (X-Vault-Wrap-TTL) is not supported by lessor; send the request without it'));
  });
}

/** Vault clients repeat path parameters in the body (hvac's revoke-prefix sends {prefix}). */
export function installParamEchoStripping(app: FastifyInstance) {
  app.addHook('preValidation', async (req) => {
    const body = req.body as Record<string, unknown> | undefined;
    const params = req.params as Record<string, string> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body) || !params) return;
    for (const [name, value] of Object.entries(params)) {
      const sent = body[name];
      if (typeof sent === 'string' && sent.replace(/\/+$/, '') === String(value).replace(/\/+$/, '')) delete body[name];
    }
  });
}

export function installEnvelope(app: FastifyInstance) {
  app.decorateReply('answer', function (this: import('fastify').FastifyReply, a) {
    return this.code(200).type('application/json').send(envelope(String(this.request.id), a));
  });
}
