/**
 * The error registry: every error lessor raises on purpose carries a stable code and the HTTP
 * status it maps to. The HTTP layer writes `{"errors": [message]}` with that status; anything
 * else that escapes is a bug and becomes a 500 without internals.
 */
export const ErrorCodes = {
  BAD_REQUEST: 400,
  /** A failed login: Vault answers wrong credentials with 400 (ErrInvalidCredentials), not 403. */
  LOGIN_REFUSED: 400,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM_FAILED: 502,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class LessorError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LessorError';
    this.code = code;
    this.statusCode = ErrorCodes[code];
  }
}

export const badRequest = (message: string) => new LessorError('BAD_REQUEST', message);
export const permissionDenied = (message = 'permission denied') =>
  new LessorError('PERMISSION_DENIED', message);
export const loginRefused = (message: string) => new LessorError('LOGIN_REFUSED', message);
export const notFound = (message: string) => new LessorError('NOT_FOUND', message);
export const unavailable = (message: string, cause?: unknown) =>
  new LessorError('UNAVAILABLE', message, { cause });
export const rateLimited = (message = 'too many requests') => new LessorError('RATE_LIMITED', message);

export function isLessorError(err: unknown): err is LessorError {
  return err instanceof Error && (err as LessorError).name === 'LessorError' && 'statusCode' in err;
}
