/**
 * mysql2 errors → the SDK's kinds (see plugins/postgres/errors.ts for the reasoning): down or
 * unreachable is 'unavailable'; bad admin credentials are the config's fault; a statement the
 * server rejects is the role's fault while creating, and retried while revoking.
 */
import { EngineError } from '../sdk/errors.js';

const NETWORK = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_TOO_MANY_USER_CONNECTIONS',
]);

export type Phase = 'connect' | 'create' | 'revoke' | 'other';

interface MysqlLikeError {
  code?: string;
  errno?: number;
  message?: string;
  fatal?: boolean;
}

export const isAuthFailure = (err: unknown) => (err as MysqlLikeError)?.code === 'ER_ACCESS_DENIED_ERROR';
export const isAccessDenied = (err: unknown) => /^ER_(TABLE|DB|SPECIFIC_|COLUMN)ACCESS_DENIED/.test((err as MysqlLikeError)?.code ?? '');

export function toEngineError(err: unknown, phase: Phase, who?: string): EngineError {
  if (err instanceof EngineError) return err;
  const e = err as MysqlLikeError;
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  if (NETWORK.has(code) || (!code && /timeout|connect|closed/i.test(msg))) {
    return new EngineError('unavailable', `mysql unreachable: ${code || msg}`);
  }
  if (isAuthFailure(err)) {
    const text = `authentication failed for mysql user ${who ? `"${who}"` : ''}`.trim();
    return new EngineError(phase === 'connect' ? 'config' : 'upstream', text);
  }
  if (phase === 'create' && code.startsWith('ER_')) return new EngineError('config', `creation statements failed: ${msg}`);
  return new EngineError('upstream', `mysql error${code ? ` ${code}` : ''}: ${msg}`);
}
