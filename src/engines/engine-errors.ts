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

/** Rethrows whatever an engine threw as an EngineError whose message has no secret in it. */
export function cleanEngineError(err: unknown, secrets: string[]): EngineError {
  const message = scrub(err instanceof Error ? err.message : String(err), secrets);
  if (isEngineError(err)) return new EngineError(err.kind, message);
  // Not one of the SDK's errors: an engine bug or an unexpected driver error. Treated as an
  // upstream failure (retried), never as the caller's fault.
  return new EngineError('upstream', message);
}

/** An engine error as the HTTP layer answers it: config 400, upstream 502, unavailable 503, not_found 404. */
export function toHttpError(err: unknown, secrets: string[] = []): Error {
  if (isLessorError(err)) return err;
  const e = isEngineError(err) ? err : cleanEngineError(err, secrets);
  return new LessorError(KIND_TO_CODE[e.kind], scrub(e.message, secrets));
}
