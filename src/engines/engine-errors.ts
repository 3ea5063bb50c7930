import { EngineError, isEngineError, type EngineErrorKind } from '../../plugins/sdk/index.js';
import { scrubSecrets } from '../../plugins/sdk/scrub-secrets.js';
import { isLessorError, LessorError, type ErrorCode } from '../errors.js';

const KIND_TO_CODE: Record<EngineErrorKind, ErrorCode> = {
  config: 'BAD_REQUEST',
  upstream: 'UPSTREAM_FAILED',
  unavailable: 'UNAVAILABLE',
  not_found: 'NOT_FOUND',
  unrecoverable: 'UPSTREAM_FAILED',
};

const SECRETISH_KEY = /pass|secret|token|private|key/i;

/**
 * The secret strings an engine error might echo back: the config's secret paths, any password in
 * a URL among them, and secret-looking fields of a lease's internal data.
 */
export function secretsOf(values: unknown[]): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v !== 'string' || v.length < 4) return;
    out.add(v);
    try {
      const u = new URL(v);
      if (u.password) {
        out.add(u.password);
        out.add(decodeURIComponent(u.password));
      }
    } catch {
      // not a URL
    }
  };
  for (const v of values) {
    if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v as Record<string, unknown>)) if (SECRETISH_KEY.test(k)) add(inner);
    } else add(v);
  }
  // Longest first, so a URL is replaced whole before the password inside it.
  return [...out].sort((a, b) => b.length - a.length);
}

/** The SDK's filter, so engines and the core remove secrets the same way (pieces and all). */
export const scrub = (message: string, secrets: string[]): string => scrubSecrets(message, secrets);

/** The engine config behind a failure: a 502 or 503 names it, so the operator knows which target failed. */
export interface EngineTarget {
  mount: string;
  config: string;
}

// Errors are the engines' objects: the core notes which target each came from beside them.
const targets = new WeakMap<object, EngineTarget>();

/** Notes the config an engine failure came from (kept when the error is cleaned); returns err. */
export function atTarget<E>(err: E, target: EngineTarget): E {
  if (err instanceof Error && !isLessorError(err) && !targets.has(err)) targets.set(err, target);
  return err;
}

/**
 * Driver errors no plugin classified, by cause: the target could not be reached or went away
 * (refused, reset, timed out, shutting down, out of connections) is 'unavailable', 503;
 * anything else is the target failing the request, 'upstream', 502.
 */
const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN',
]);

function kindOf(err: unknown): EngineErrorKind {
  const { kind, code } = (err ?? {}) as { kind?: unknown; code?: unknown };
  if (typeof kind === 'string' && kind in KIND_TO_CODE) return kind as EngineErrorKind;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return 'unavailable';
  // node-postgres says a dropped connection only in words.
  if (err instanceof Error && !code && /^Connection terminated/.test(err.message)) return 'unavailable';
  return 'upstream';
}

/** Rethrows whatever an engine threw as an EngineError whose message has no secret in it. */
export function cleanEngineError(err: unknown, secrets: string[], target?: EngineTarget): EngineError {
  const message = scrub(err instanceof Error ? err.message : String(err), secrets);
  // Not one of the SDK's errors: an engine bug or an unexpected driver error, mapped by its
  // cause, never as the caller's fault.
  const clean = new EngineError(isEngineError(err) ? err.kind : kindOf(err), message);
  const where = target ?? (err instanceof Error ? targets.get(err) : undefined);
  return where ? atTarget(clean, where) : clean;
}

const FAILURE: Partial<Record<EngineErrorKind, string>> = { unavailable: 'target unavailable', upstream: 'target failed', unrecoverable: 'target failed' };

/**
 * An engine error as the HTTP layer answers it, by cause: config 400, not_found 404, the target
 * failing the request (a statement it refused) 502, the target unreachable 503. A 502 or 503
 * names the config whose target failed.
 */
export function toHttpError(err: unknown, secrets: string[] = [], target?: EngineTarget): LessorError {
  if (isLessorError(err)) return err;
  const e = isEngineError(err) ? err : cleanEngineError(err, secrets);
  const where = target ?? targets.get(e) ?? (err instanceof Error ? targets.get(err) : undefined);
  const failure = FAILURE[e.kind];
  const message = scrub(e.message, secrets);
  return new LessorError(KIND_TO_CODE[e.kind], where && failure ? `config "${where.config}" on ${where.mount}/: ${failure}: ${message}` : message);
}
