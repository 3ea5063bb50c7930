import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Field names that hold secrets anywhere in a log object. Redaction is declared once here so no
 * call site has to remember it; the audit log has its own HMAC-based scrubbing.
 */
export const REDACTED_PATHS = [
  'password', '*.password', 'token', '*.token', 'secret_id', '*.secret_id', 'api_key', '*.api_key',
  'client_token', '*.client_token', 'private_key', '*.private_key', 'connection_url', '*.connection_url',
  'req.headers["x-vault-token"]', 'req.headers.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}

export type { Logger };
