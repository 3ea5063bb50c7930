import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';

/**
 * How deep a request body may nest. Vault's listener default (max_json_depth) is 500; no lessor
 * route takes anything deeper than a few levels, and the only free-form body (sys/wrapping/wrap)
 * is a secret to keep, not a document, so 100 leaves room without letting a body make every
 * later walk over it (validation, audit HMACing) deep.
 */
export const MAX_JSON_DEPTH = 100;

/** Whether a parsed JSON value nests deeper than max. Iterative: depth costs no stack. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const inner of Object.values(v)) if (inner && typeof inner === 'object') stack.push([inner, depth + 1]);
  }
  return false;
}

/**
 * Where a NUL byte sits in a value (`body.meta.team`, `body.policies[1]`), or undefined. Keys
 * count as well as strings: PostgreSQL text cannot hold a NUL, and no name or secret needs one.
 */
export function nulPath(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [v, where] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) return where;
    } else if (Array.isArray(v)) {
      v.forEach((inner, i) => stack.push([inner, `${where}[${i}]`]));
    } else if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        const at = `${where}.${k}`;
        if (k.includes('\0')) return `${where} (a key)`;
        stack.push([inner, at]);
      }
    }
  }
  return undefined;
}

export const nulRefused = (where: string) => badRequest(`${where} contains a NUL byte, which no field accepts`);

/**
 * Where a number that is not finite sits in a validated body or query, or undefined. The schema
 * coerces "1e309" to Infinity, which ajv's integer type lets through and its bounds never check
 * (they skip non-finite numbers); JSON would then store it as null, which a use count reads as
 * unlimited.
 */
export function nonFinitePath(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [v, where] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return where;
    } else if (Array.isArray(v)) {
      v.forEach((inner, i) => stack.push([inner, `${where}[${i}]`]));
    } else if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) stack.push([inner, `${where}.${k}`]);
    }
  }
  return undefined;
}

/**
 * Input limits at the edge, before any lookup, handler or audit line sees the request: a NUL byte
 * in a path parameter or the query is refused in onRequest (ahead of authentication, whose
 * existence checks query the store by name). The body parser itself (json-body.ts) refuses a NUL
 * in the body and too deep a body, and fastify's bodyLimit one too large (413).
 */
export function installInputLimits(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    const where = nulPath(req.params, 'path') ?? nulPath(req.query, 'query');
    done(where ? nulRefused(where) : undefined);
  });
  // After validation, which is where strings become numbers.
  app.addHook('preHandler', (req, _reply, done) => {
    const where = nonFinitePath(req.body, 'body') ?? nonFinitePath(req.query, 'query');
    done(where ? badRequest(`${where} is not a finite number`) : undefined);
  });
}
