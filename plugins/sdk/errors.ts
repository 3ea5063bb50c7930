/**
 * The only errors an engine throws on purpose. The core maps them: a config error is the
 * caller's fault (400, never retried); an upstream error is the target system failing (502 on a
 * request, retried with backoff by the reaper); an unavailable error is the target unreachable
 * (503, retried); an unrecoverable error makes a lease irrevocable at once.
 */
export type EngineErrorKind = 'config' | 'upstream' | 'unavailable' | 'unrecoverable' | 'not_found';

export class EngineError extends Error {
  readonly kind: EngineErrorKind;
  constructor(kind: EngineErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.kind = kind;
  }
}

export const configError = (message: string) => new EngineError('config', message);
export const upstreamError = (message: string, cause?: unknown) => new EngineError('upstream', message, { cause });
export const unavailableError = (message: string, cause?: unknown) => new EngineError('unavailable', message, { cause });
export const unrecoverableError = (message: string, cause?: unknown) => new EngineError('unrecoverable', message, { cause });
export const notFoundError = (message: string) => new EngineError('not_found', message);

export function isEngineError(err: unknown): err is EngineError {
  return err instanceof Error && err.name === 'EngineError' && 'kind' in err;
}
