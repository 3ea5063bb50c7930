import { TOKEN_PREFIX } from '../auth/tokens.js';

/**
 * A request path as the audit log shows it: segments that carry a token or an accessor are
 * HMAC'd and the rest kept, so an operator still sees which endpoint was called. Vault's legacy
 * forms put the token in the path (`auth/token/lookup/<token>`); lessor answers them 404, but a
 * client that sends one has still sent its token, and the line is written either way.
 */
const SECRET_TAIL = [
  'auth/token/lookup/',
  'auth/token/renew/',
  'auth/token/revoke/',
  'auth/token/revoke-orphan/',
  'auth/token/lookup-accessor/',
  'auth/token/revoke-accessor/',
  'sys/wrapping/lookup/',
  'sys/wrapping/unwrap/',
  'sys/wrapping/rewrap/',
  'sys/wrapping/wrap/',
];

/** Route parameters whose value is a credential wherever they appear. */
const SECRET_PARAM = /token|accessor|secret/i;

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function auditPath(path: string, params: unknown, hash: (v: string) => string): string {
  const secretValues = new Set<string>();
  if (params && typeof params === 'object') {
    for (const [k, v] of Object.entries(params)) if (SECRET_PARAM.test(k) && typeof v === 'string' && v !== '') secretValues.add(v);
  }
  const tail = SECRET_TAIL.find((p) => path.startsWith(p));
  const head = tail ? tail.length : 0;
  let at = 0;
  return path
    .split('/')
    .map((seg) => {
      const start = at;
      at += seg.length + 1;
      const plain = decoded(seg);
      const secret = (start >= head && head > 0) || plain.startsWith(TOKEN_PREFIX) || secretValues.has(plain);
      return secret && seg !== '' ? hash(plain) : seg;
    })
    .join('/');
}
