/**
 * What Vault's clients really send, normalised before routing so the router and the policy
 * check both see one canonical form:
 *  - `GET ...?list=true` (Go's boolean spellings) is the LIST method;
 *  - a trailing slash on a path is dropped (hvac strips it, node-vault keeps it).
 */
/**
 * Fastify only routes methods in Node's http.METHODS, and LIST is not one. Internally a LIST
 * request travels as SEARCH (a bodiless method no Vault client uses); list routes are declared
 * with this constant and the policy check maps it to the `list` capability.
 */
export const LIST_METHOD = 'SEARCH';

const TRUE_SPELLINGS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

export function isListQuery(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const params = new URLSearchParams(url.slice(q + 1));
  const v = params.get('list');
  return v !== null && TRUE_SPELLINGS.has(v);
}

/**
 * The path and query of a request target. HTTP allows the absolute form (`GET http://host/v1/x`,
 * what a client talking through a proxy sends); Node hands it over verbatim, and the router
 * still matches it, so the policy path would have been `http://host/v1/x`: matched by a `*`
 * rule but by no deny. Go's net/http, which Vault runs on, uses the path alone too.
 */
export function originForm(target: string): string {
  // A fragment is never part of a request (clients do not send one); the router stops at it and
  // the list check would read a query after it, so it goes before either looks.
  const hash = target.indexOf('#');
  const url = hash < 0 ? target : target.slice(0, hash);
  if (url.startsWith('/')) return url;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(url);
  if (!m) return url;
  const rest = url.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

export function stripTrailingSlash(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const rest = q < 0 ? '' : url.slice(q);
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return (trimmed || '/') + rest;
}

/**
 * The policy path of a routed request, built from the route's pattern and the router's decoded
 * parameters: exactly the path the router matched. The raw URL can say more than the router read
 * (find-my-way stops at ";" and "#", so `sys/key-status;x` reaches sys/key-status), and a deny on
 * `sys/key-status` must not be dodged by a path only a `*` rule matches.
 */
export function routePolicyPath(pattern: string, params: Record<string, string | undefined>): string {
  const path = pattern
    .split('/')
    .map((segment) => (segment === '*' ? params['*'] ?? '' : segment.startsWith(':') ? params[segment.slice(1)] ?? '' : segment))
    .join('/');
  return path.replace(/^\/v1\//, '').replace(/\/+$/, '');
}

/** The request path relative to /v1/, without query or trailing slash: what policies match. */
export function policyPath(url: string): string {
  const q = url.indexOf('?');
  const path = decodeURIComponent(q < 0 ? url : url.slice(0, q));
  return path.replace(/^\/v1\//, '').replace(/\/+$/, '');
}
