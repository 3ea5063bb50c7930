/**
 * The client's typed failures. A caller tells "lessor said no" (LessorApiError, with Vault's
 * status and errors[]) from "lessor could not be reached" (LessorConnectionError) without
 * parsing messages; only the second kind and 503s are worth retrying.
 */
export class LessorApiError extends Error {
  readonly status: number;
  readonly errors: string[];
  readonly method: string;
  readonly path: string;
  constructor(method: string, path: string, status: number, errors: string[]) {
    // The path names what was asked (e.g. database/creds/app), never a secret.
    super(`${method} ${path}: ${status} ${errors.length ? errors.join('; ') : 'no error message'}`);
    this.name = 'LessorApiError';
    this.status = status;
    this.errors = errors;
    this.method = method;
    this.path = path;
  }
}

export class LessorConnectionError extends Error {
  readonly address: string;
  constructor(address: string, cause: unknown) {
    super(`cannot reach lessor at ${address}: ${describeCause(cause)}`, { cause });
    this.name = 'LessorConnectionError';
    this.address = address;
  }
}

/** The answer was not Vault-shaped JSON (a proxy's HTML page, a truncated body). */
export class LessorProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LessorProtocolError';
  }
}

/** Worth retrying with backoff: the server was unreachable or said a dependency was down. */
export function isTransient(err: unknown): boolean {
  return err instanceof LessorConnectionError || (err instanceof LessorApiError && err.status === 503);
}

export const isStatus = (err: unknown, status: number): boolean =>
  err instanceof LessorApiError && err.status === status;

/** undici hides the useful part (ECONNREFUSED, timeout) in err.cause. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  if (cause.name === 'TimeoutError' || cause.name === 'AbortError') return 'request timed out';
  // Node's fetch says only "fetch failed"; the socket error (ECONNREFUSED, ENOTFOUND) is its cause.
  const inner = (cause as { cause?: unknown }).cause;
  if (inner instanceof Error) return inner.message || (inner as { code?: string }).code || cause.message;
  return cause.message;
}
