// A fuzzed request for one route of the route table, and sending it through inject.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { LIST_METHOD } from '../../src/http/request-shape.js';
import type { BodyFields } from './route-capture.js';
import { namesAt } from './install.js';
import { bodyText, bogusToken, extraHeaders, pathSegment, pathTail, queryString } from './hostile.js';

/** A route as the fuzz targets it. */
export interface Target {
  method: string;
  url: string;
  bodyFields: BodyFields;
  /** False for a HEAD sent to a GET route that routes none: fuzzed, but nothing to reach. */
  routed: boolean;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const LIST_SPELLINGS = ['true', '1', 't', 'T', 'TRUE', 'True'];

/** Fills `:param` and `*` in a route pattern from the path generators. */
function pathFor(url: string): fc.Arbitrary<string> {
  const parts = url.split(/(:[A-Za-z_]+|\*)/).filter(Boolean);
  return fc.tuple(...parts.map((p): fc.Arbitrary<string> => {
    if (p === '*') return fc.oneof(fc.constant(''), pathTail, pathTail.map((s) => `/${s}`));
    if (p.startsWith(':')) return pathSegment(namesAt(url));
    return fc.constant(p);
  })).map((xs) => xs.join(''));
}

/**
 * `token` is what the phase decides (none, narrow, root); an anonymous caller may also send a
 * malformed or unknown token of its own.
 */
export function requestFor(target: Target, token: string | undefined): fc.Arbitrary<FuzzRequest> {
  const isList = target.method === LIST_METHOD;
  return fc.record({
    path: pathFor(target.url),
    query: queryString,
    list: fc.constantFrom(...LIST_SPELLINGS),
    headers: extraHeaders,
    token: token === undefined ? bogusToken : fc.constant(token),
    body: bodyText(target.bodyFields),
  }).map(({ path, query, list, headers, token: tok, body }) => {
    const q = [isList ? `list=${list}` : '', query].filter(Boolean).join('&');
    const h: Record<string, string> = { ...headers };
    if (tok !== undefined) h['x-vault-token'] = tok;
    // inject cannot send the LIST verb; GET ?list=<spelling> is what Vault clients also send.
    return { method: isList ? 'GET' : target.method, url: q ? `${path}?${q}` : path, headers: h, body };
  });
}

/**
 * The tame request every property starts from (fast-check's `examples`): a routable path and
 * nothing hostile, so each route is reached at least once whatever the generators draw.
 */
export function plainRequest(target: Target, token: string | undefined, name = 'fuzz'): FuzzRequest {
  const path = target.url.replace(/:[A-Za-z_]+/g, name).replace(/\*/g, 'fuzz');
  const isList = target.method === LIST_METHOD;
  return {
    method: isList ? 'GET' : target.method,
    url: isList ? `${path}?list=true` : path,
    headers: token === undefined ? {} : { 'x-vault-token': token },
    body: ['POST', 'PUT'].includes(target.method) ? '{}' : undefined,
  };
}

export interface Answer {
  status: number;
  body: string;
}

export async function send(app: FastifyInstance, req: FuzzRequest): Promise<Answer> {
  const res = await app.inject({
    method: req.method as 'GET',
    url: req.url,
    headers: req.headers,
    ...(req.body !== undefined ? { payload: req.body } : {}),
  });
  return { status: res.statusCode, body: res.body };
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** One line a person can act on: what was sent and what came back. */
export function describe(req: FuzzRequest, ans: Answer | undefined): string {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, k === 'x-vault-token' ? clip(v, 12) : clip(v, 80)]));
  return `${req.method} ${clip(req.url, 200)} headers=${JSON.stringify(headers)} body=${req.body === undefined ? '(none)' : JSON.stringify(clip(req.body))}`
    + (ans ? ` → ${ans.status} ${clip(ans.body, 300)}` : '');
}
