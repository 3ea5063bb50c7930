import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestIdentity } from '../auth/access.js';
import { tokenFrom } from '../http/hooks.js';
import { auditPath } from './audit-path.js';
import type { AuditHasher } from './scrub.js';

/**
 * One audit line per request (before the handler runs) and one per response (before its body
 * leaves). If a line cannot be written the request fails with 500 and the answer is withheld:
 * nothing is handed out that the audit log does not know about.
 */
const written = new WeakSet<FastifyRequest>();

function operation(method: string): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return 'read';
    case 'SEARCH':
      return 'list';
    case 'DELETE':
      return 'delete';
    default:
      return 'update';
  }
}

/** Paths whose bodies are the caller's own data, not lessor's shapes: no field is left in clear. */
const CALLER_DATA_PATHS = new Set(['sys/wrapping/wrap', 'sys/wrapping/unwrap']);
const pathOf = (req: FastifyRequest) => req.policyPath || req.url.split('?')[0].replace(/^\/v1\//, '');
const callerData = (req: FastifyRequest) => CALLER_DATA_PATHS.has(pathOf(req));
const scrubberFor = (req: FastifyRequest, h: AuditHasher) => (callerData(req) ? (v: unknown) => h.scrubAll(v) : (v: unknown) => h.scrub(v));
const requestScrubberFor = (req: FastifyRequest, h: AuditHasher) => (callerData(req) ? (v: unknown) => h.scrubAll(v) : (v: unknown) => h.scrubRequest(v));

function requestEntry(req: FastifyRequest, h: AuditHasher) {
  const token = tokenFrom(req);
  const identity: RequestIdentity | undefined = req.identity;
  return {
    auth: identity
      ? {
          accessor: h.hash(identity.accessor),
          client_token: token ? h.hash(token) : '',
          display_name: h.hash(identity.displayName),
          policies: identity.policies,
          metadata: h.scrub(identity.metadata),
        }
      : token
        ? { client_token: h.hash(token) }
        : {},
    request: {
      id: String(req.id),
      operation: operation(req.method),
      path: auditPath(pathOf(req), req.params, (v) => h.hash(v)),
      remote_address: req.ip,
      data: req.body === undefined || req.body === null ? null : requestScrubberFor(req, h)(req.body),
    },
  };
}

function writeRequest(log: Logger, req: FastifyRequest, h: AuditHasher) {
  if (written.has(req)) return;
  log.info({ type: 'request', ...requestEntry(req, h) });
  written.add(req);
}

function responseBody(req: FastifyRequest, reply: FastifyReply, payload: unknown, h: AuditHasher): Record<string, unknown> {
  const scrub = scrubberFor(req, h);
  const out: Record<string, unknown> = { status: reply.statusCode };
  const type = String(reply.getHeader('content-type') ?? '');
  if (typeof payload !== 'string' || !type.startsWith('application/json') || payload === '') return out;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return out;
  }
  if (!body || typeof body !== 'object') return out;
  if (Array.isArray(body.errors)) return { ...out, errors: body.errors.map((e) => (typeof e === 'string' ? h.scrubText(e) : h.scrub(e))) };
  if ('request_id' in body) {
    return {
      ...out,
      lease_id: body.lease_id,
      lease_duration: body.lease_duration,
      renewable: body.renewable,
      data: scrub(body.data),
      // Only `data` can hold what sys/wrapping/wrap kept; an unwrapped token keeps its accessor in clear.
      auth: h.scrub(body.auth),
    };
  }
  return { ...out, data: scrub(body) };
}

export function auditHooks(log: Logger, h: AuditHasher) {
  const hooks = async (app: FastifyInstance) => {
    app.addHook('preHandler', async (req) => {
      writeRequest(log, req, h);
    });
    app.addHook('onSend', async (req, reply, payload) => {
      try {
        writeRequest(log, req, h); // requests refused before the handler (403, 400) still get their line
        log.info({ type: 'response', ...requestEntry(req, h), response: responseBody(req, reply, payload, h) });
        return payload;
      } catch (err) {
        req.log.error({ err }, 'audit log write failed; answer withheld');
        reply.code(500).type('application/json');
        reply.removeHeader('content-length');
        return JSON.stringify({ errors: ['internal error: the audit log could not be written'] });
      }
    });
  };
  (hooks as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return hooks;
}
