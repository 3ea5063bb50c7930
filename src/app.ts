import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessControl } from './auth/access.js';
import { denyAll } from './auth/access.js';
import type { ResponseWrapper } from './auth/wrapping.js';
import type { Metrics } from './metrics.js';
import { errorHandler, schemaErrorFormatter } from './http/error-handler.js';
import { installAccessHooks, installEnvelope, installParamEchoStripping, installResponseWrapping } from './http/hooks.js';
import { installVaultBooleans } from './http/vault-booleans.js';
import { installCanonicalNames } from './http/canonical-names.js';
import { acceptJsonBodies } from './http/json-body.js';
import { installInputLimits } from './http/input-limits.js';
import { makeClientErrorHandler } from './http/list-method.js';
import { isListQuery, LIST_METHOD, originForm, stripTrailingSlash } from './http/request-shape.js';
import { healthRoutes, type HealthCheck } from './http/routes/health.js';
import { metricsRoutes } from './http/routes/metrics.js';
import './http/fastify-types.js';

export type AppModule = (app: FastifyInstance) => Promise<void> | void;

export interface AppOptions {
  log: Logger;
  metrics: Metrics;
  health: HealthCheck[];
  access?: AccessControl;
  /** Keeps answers of requests sent with X-Vault-Wrap-TTL; without it such requests are refused. */
  wrapper?: ResponseWrapper;
  /** Route groups (auth methods, sys/leases, engine mounts) registered under /v1. */
  modules?: AppModule[];
  bodyLimit?: number;
  /** How long a client may take to send a whole request (Vault's http_read_timeout: 30 s). */
  requestTimeoutMs?: number;
}

const ROUTED_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', LIST_METHOD] as const;

/** Builds the HTTP app; never listens (tests use inject, the CLI listens). */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  let appRef: FastifyInstance | undefined;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    loggerInstance: opts.log as unknown as FastifyBaseLogger,
    // Request lines are the audit log's job; the service log keeps lifecycle events only.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    // No automatic HEAD twin of every GET: a HEAD would run the GET's handler, and some GETs
    // act (database/creds issues a credential). As in Vault, HEAD is answered only where a route
    // declares it (sys/health); elsewhere it is a 405.
    exposeHeadRoutes: false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // A client that sends its headers and then trickles the body would otherwise hold a socket
    // for ever. Node checks for overdue requests on an interval of its own (30 s by default, which
    // would double the bound), so the check runs at a fraction of the timeout.
    requestTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(requestTimeoutMs / 4))),
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    schemaErrorFormatter,
    clientErrorHandler: makeClientErrorHandler(() => appRef!),
    // The router's own refusals (a malformed percent-escape, a parameter past maxParamLength)
    // answer in Vault's shape like every other error, and without echoing the path, which may
    // carry a token (sys/wrapping/unwrap/<token>). No hook runs for these, so the answer is
    // written whole here (the exact type and no-store the onSend hook would set).
    frameworkErrors(err, _req, reply) {
      const message =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is longer than 2048 characters'
        : err.code === 'FST_ERR_BAD_URL' ? 'the path is not validly percent-encoded'
        : 'the request could not be routed';
      const body = JSON.stringify({ errors: [message] });
      reply.hijack();
      reply.raw.writeHead(err.statusCode ?? 400, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      reply.raw.end(body);
    },
    rewriteUrl(req) {
      const url = stripTrailingSlash(originForm(req.url ?? '/'));
      if (req.method === 'GET' && isListQuery(url)) req.method = LIST_METHOD;
      return url;
    },
  });
  appRef = app;
  app.addHttpMethod(LIST_METHOD);
  acceptJsonBodies(app);

  // A second router that only knows patterns: on a 404 it tells whether another method would
  // have matched, so a wrong method gets Vault's 405 instead of 404.
  const patterns = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 2048 });
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      try {
        patterns.on(method as 'GET', route.url, () => {});
      } catch {
        // Duplicate pattern registration (HEAD aliases): the first one is enough.
      }
    }
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    const path = (req.url ?? '/').split('?')[0];
    const other = ROUTED_METHODS.some((m) => m !== req.method && patterns.find(m, path));
    const status = other ? 405 : 404;
    const method = req.method === LIST_METHOD ? 'LIST' : req.method;
    const message = other ? `method ${method} is not allowed on ${path}` : `unknown path ${path}`;
    return reply.code(status).type('application/json').send({ errors: [message] });
  });

  app.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method === LIST_METHOD ? 'LIST' : req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    opts.metrics.httpRequests.inc(labels);
    opts.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  // Vault answers `Content-Type: application/json` exactly, and hvac parses error bodies only
  // under that exact type; fastify would append `; charset=utf-8` (JSON is UTF-8 by definition).
  // Like Vault (http/handler.go), every answer says `Cache-Control: no-store` so no proxy or
  // client cache keeps a credential; a route that may be cached (JWKS) sets its own.
  app.addHook('onSend', async (_req, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', 'application/json');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  installEnvelope(app);
  // First of the request hooks: a NUL byte is refused before any store is asked about the request.
  installInputLimits(app);
  installResponseWrapping(app, opts.wrapper);
  installCanonicalNames(app);
  installAccessHooks(app, opts.access ?? denyAll);
  installParamEchoStripping(app);
  installVaultBooleans(app);

  await app.register(healthRoutes(opts.health));
  await app.register(metricsRoutes(opts.metrics));
  for (const mod of opts.modules ?? []) await app.register(mod);
  return app;
}
