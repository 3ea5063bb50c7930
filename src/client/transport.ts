import { LessorApiError, LessorConnectionError, LessorProtocolError } from './errors.js';

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Adds ?list=true: Vault's GET spelling of LIST, which fetch can send (it cannot send LIST). */
  list?: boolean;
  timeoutMs: number;
}

/**
 * One HTTP exchange with lessor's /v1 API: no retries, no auth logic. Returns the parsed body
 * (undefined for 204) or throws one of the typed errors.
 */
export async function request<T>(address: string, method: string, path: string, opts: RequestOptions): Promise<T | undefined> {
  const url = new URL(`v1/${path.replace(/^\/+/, '')}`, address.endsWith('/') ? address : `${address}/`);
  if (opts.list) url.searchParams.set('list', 'true');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers['x-vault-token'] = opts.token;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';

  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    throw new LessorConnectionError(url.origin, err);
  }

  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new LessorConnectionError(url.origin, err);
  }
  let parsed: unknown;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      // Never echo the body: on a 200 it could hold credentials.
      if (res.ok) throw new LessorProtocolError(`${method} ${path}: answer is not JSON (HTTP ${res.status})`);
    }
  }
  if (!res.ok) {
    const errors = (parsed as { errors?: unknown })?.errors;
    throw new LessorApiError(method, path, res.status,
      Array.isArray(errors) ? errors.map(String) : [res.statusText || `HTTP ${res.status}`]);
  }
  return parsed as T | undefined;
}
