import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl, Capability, RequestIdentity } from '../auth/access.js';
import { capabilitiesForMethod } from '../auth/access.js';
import { parseDuration } from '../../plugins/sdk/duration.js';
import { MAX_TTL } from '../auth/tokens.js';
import type { ResponseWrapper } from '../auth/wrapping.js';
import { badRequest, permissionDenied } from '../errors.js';
import type { LessorRouteConfig } from './fastify-types.js';
import { envelope } from './envelope.js';
import { LIST_METHOD, policyPath, routePolicyPath } from './request-shape.js';

export function tokenFrom(req: FastifyRequest): string | undefined {
  const vault = req.headers['x-vault-token'];
  if (typeof vault === 'string' && vault !== '') return vault;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  return undefined;
}

/**
 * A route's own access flag, never one inherited: were Object.prototype ever polluted with
 * `public`, a plain read would make every route public.
 */
export function routeFlag<K extends keyof LessorRouteConfig>(req: FastifyRequest, key: K): LessorRouteConfig[K] | undefined {
  const cfg = req.routeOptions.config as LessorRouteConfig;
  return Object.hasOwn(cfg, key) ? cfg[key] : undefined;
}

/**
 * Authentication and authorisation on every route that is not marked public. A limited-use
 * token's use is taken only once the request is allowed (`admit`), as in Vault: a refused request
 * changes nothing, so a 403 cannot burn a num_uses token or a wrapping token's single use.
 */
export function installAccessHooks(app: FastifyInstance, access: AccessControl) {
  app.decorateRequest('identity', undefined);
  app.decorateRequest('policyPath', '');
  app.addHook('onRequest', async (req) => {
    // A routed request is checked on the path the router matched (with any case-insensitive name
    // already lowercased, canonical-names.ts), never on the raw URL.
    req.policyPath = req.is404 ? policyPath(req.url) : routePolicyPath(String(req.routeOptions.url), req.params as Record<string, string>);
    // Unknown paths answer 404 to everyone, as the issue asks; there is nothing to protect.
    if (routeFlag(req, 'public') === true || req.is404) return;
    const identity = await access.authenticate(tokenFrom(req), { ip: req.ip });
    // Known before the decision, so the audit line of a refused request says who was refused.
    req.identity = identity;
    const caps = await neededCapabilities(req, identity);
    const list = req.method === LIST_METHOD;
    if (!(await access.authorize(identity, req.policyPath, caps, list))) throw permissionDenied();
    if (routeFlag(req, 'sudo') && !(await access.authorize(identity, req.policyPath, ['sudo'], list))) throw permissionDenied();
    await access.admit?.(identity);
  });
}

/**
 * Vault's rule: the route's own capabilities, else the method's; a write of a named object
 * that does not exist yet needs `create` instead of `update` (Vault's existence check). Root
 * may do anything, so it costs no lookup.
 */
async function neededCapabilities(req: FastifyRequest, identity: RequestIdentity): Promise<Capability[]> {
  const capabilities = routeFlag(req, 'capabilities');
  if (capabilities) return capabilities;
  const exists = routeFlag(req, 'exists');
  if (exists && !identity.isRoot && !(await exists(req))) return ['create'];
  return capabilitiesForMethod(req.method);
}

/**
 * Vault's response wrapping (`X-Vault-Wrap-TTL`, the CLI's `-wrap-ttl`). A bad TTL, or one above
 * the system max TTL (Vault refuses a wrap TTL above the mount's max), is refused before
 * authentication, so it costs no token use; without a wrapper (the bare app in tests) the
 * request is refused too, never answered unwrapped. A 200 answer is then kept under a wrapping
 * token and only that token goes back; errors and 204s are sent as they are (nothing to wrap).
 *
 * On a public route only a login's answer is wrapped (Vault wraps the token a login issues, and a
 * login had to prove credentials first). Anything else a public route answers (health,
 * seal-status, the JWKS) goes back in clear, as Vault's sys/health and sys/seal-status handlers
 * never read the header: an anonymous caller must not be able to make lessor store anything.
 */
export function installResponseWrapping(app: FastifyInstance, wrapper: ResponseWrapper | undefined) {
  app.decorateRequest('wrapTtl', 0);
  // Callback hooks, not async ones: they run on every request and most need no promise.
  app.addHook('onRequest', (req, _reply, done) => {
    const header = req.headers['x-vault-wrap-ttl'];
    if (header === undefined) return done();
    if (!wrapper) return done(badRequest('response wrapping (X-Vault-Wrap-TTL) is not supported here; send the request without it'));
    let ttl = 0;
    try {
      ttl = parseDuration(String(header), 'X-Vault-Wrap-TTL');
    } catch {
      // ttl stays 0: refused below.
    }
    if (ttl <= 0) return done(badRequest('X-Vault-Wrap-TTL must be a positive duration, like "60s" or "5m"'));
    if (ttl > MAX_TTL) return done(badRequest(`X-Vault-Wrap-TTL must be at most the max TTL of ${MAX_TTL}s (768h)`));
    req.wrapTtl = ttl;
    done();
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!req.wrapTtl || !wrapper || reply.statusCode !== 200 || typeof payload !== 'string') return done(null, payload);
    if (routeFlag(req, 'public') === true && !issuesToken(payload)) return done(null, payload);
    wrapper.wrap(payload, req.wrapTtl, req.policyPath).then(
      (wrapInfo) => done(null, JSON.stringify(envelope(String(req.id), { wrapInfo }))),
      (err: unknown) => done(err as Error),
    );
  });
}

/** Whether an answer is a login's: Vault's envelope with a token in `auth`. */
function issuesToken(payload: string): boolean {
  try {
    const auth = (JSON.parse(payload) as { auth?: { client_token?: unknown } } | null)?.auth;
    return typeof auth?.client_token === 'string';
  } catch {
    return false;
  }
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
