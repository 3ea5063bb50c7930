import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import { canonicalName, CASE_INSENSITIVE_PREFIXES } from '../auth/name-case.js';

/**
 * Names that are case-insensitive, as in Vault: AppRole role names, userpass usernames and ACL
 * policy names are stored lowercased. The ACL must check the name that will be stored, or a
 * policy that denies `auth/approle/role/r1` is dodged by asking for `R1`. So, before the access
 * check, a route that names one (`config: { canonicalParam: 'role_name' }`) gets that parameter
 * lowercased; the access hook builds the policy path from the route pattern and the parameters,
 * so it checks the lowercased name, and the handler sees the same name.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** The path parameter holding a case-insensitive name (lowercased before the ACL check). */
    canonicalParam?: string;
  }
}

/** The route's own flag, never an inherited one. */
const canonicalParamOf = (cfg: FastifyContextConfig | undefined): string | undefined =>
  cfg && Object.hasOwn(cfg, 'canonicalParam') ? cfg.canonicalParam : undefined;

/**
 * Must be registered before the access hook (which builds the policy path from the parameters
 * this lowercases) and before the parameter echo stripping.
 */
export function installCanonicalNames(app: FastifyInstance) {
  // Policy rules are lowercased by prefix (src/auth/name-case.ts): a flagged route outside those
  // prefixes would have its name checked in a case rules are never written in. Refused at start.
  app.addHook('onRoute', (route) => {
    const param = canonicalParamOf(route.config);
    if (param === undefined) return;
    const prefix = route.url.replace(/^\/v1\//, '').split(`:${param}`)[0];
    if (!CASE_INSENSITIVE_PREFIXES.includes(prefix)) throw new Error(`route ${route.url}: ${prefix} is not in CASE_INSENSITIVE_PREFIXES`);
  });
  app.addHook('onRequest', (req, _reply, done) => {
    const param = canonicalParamOf(req.routeOptions.config);
    if (param === undefined || req.is404) return done();
    const params = req.params as Record<string, string>;
    if (typeof params[param] === 'string') params[param] = canonicalName(params[param]);
    done();
  });
  // Clients echo the name in the body (node-vault sends role_name): the echo is made canonical
  // too, so the echo stripping that follows still recognises `MyRole` as the path's `myrole`.
  app.addHook('preValidation', (req, _reply, done) => {
    const param = canonicalParamOf(req.routeOptions.config);
    const body = req.body as Record<string, unknown> | null | undefined;
    if (param === undefined || !body || typeof body !== 'object' || Array.isArray(body)) return done();
    if (Object.hasOwn(body, param) && typeof body[param] === 'string') body[param] = canonicalName(body[param]);
    done();
  });
}
