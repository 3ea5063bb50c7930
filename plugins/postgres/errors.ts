/**
 * node-postgres errors → the SDK's kinds. A server that is down or unreachable is 'unavailable'
 * (503, retried); bad credentials are the config's fault; a statement the server rejects is
 * the role's fault while creating, and worth retrying while revoking (an operator may fix it).
 */
import { EngineError } from '../sdk/errors.js';

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);

export type Phase = 'connect' | 'create' | 'revoke' | 'other';

interface PgLikeError {
  code?: string;
  message?: string;
  detail?: string;
}

export function isAuthFailure(err: unknown): boolean {
  const code = (err as PgLikeError)?.code;
  return code === '28P01' || code === '28000';
}

/** PostgreSQL's answer to concurrent GRANTs on one object, and serialization failures. */
export function isRetryable(err: unknown): boolean {
  const e = err as PgLikeError;
  return e?.code === '40001' || e?.code === '40P01' || (e?.code === 'XX000' && /tuple concurrently updated/.test(e.message ?? ''));
}

export function toEngineError(err: unknown, phase: Phase, who?: string): EngineError {
  if (err instanceof EngineError) return err;
  const e = err as PgLikeError;
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  if (NETWORK.has(code) || (!/^[0-9A-Z]{5}$/.test(code) && /timeout|Connection terminated|connect/i.test(msg))) {
    return new EngineError('unavailable', `postgres unreachable: ${msg}`);
  }
  if (code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') {
    return new EngineError('unavailable', `postgres not accepting connections: ${msg}`);
  }
  if (isAuthFailure(err)) {
    const text = `authentication failed for postgres user ${who ? `"${who}"` : ''}`.trim();
    return new EngineError(phase === 'connect' ? 'config' : 'upstream', text);
  }
  // Class 42 (syntax, undefined object, insufficient privilege), 22 (data), 23 (constraint).
  if (phase === 'create' && /^(42|22|23|0L|0P)/.test(code)) {
    return new EngineError('config', `creation statements failed: ${msg}`);
  }
  // DROP ROLE's "some objects depend on it" names them only in the detail: pass it on.
  const detail = code === '2BP01' && e.detail ? ` (${e.detail.replace(/\s+/g, ' ').slice(0, 500)})` : '';
  return new EngineError('upstream', `postgres error${code ? ` ${code}` : ''}: ${msg}${detail}`);
}
