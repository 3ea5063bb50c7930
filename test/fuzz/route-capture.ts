// What the fuzz suite needs to know about each route, read from the app itself rather than
// from a hand-kept list: its config (public or not), its body schema, and which route patterns
// the fuzzed requests actually reached. fastify announces every instance it creates on the
// `fastify.initialization` diagnostics channel before any route is added, which is the one
// public way to see route options from outside buildApp.
import diagnostics from 'node:diagnostics_channel';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { LIST_METHOD } from '../../src/http/request-shape.js';

export interface RouteInfo {
  method: string;
  url: string;
  public: boolean;
  /** The body schema's fields (name → JSON schema), when the route declares an object body. */
  bodyFields: BodyFields;
}

export interface RouteCapture {
  /** Every routed (method, url) but OPTIONS, keyed `${method} ${url}`; HEAD where one is routed. */
  routes: Map<string, RouteInfo>;
  /** Route keys a request reached (router matched it), whatever the answer was. */
  hits: Set<string>;
  stop(): void;
}

export type BodyFields = Record<string, { type?: unknown; anyOf?: unknown; oneOf?: unknown }>;

export const routeKey = (method: string, url: string) => `${method} ${url}`;

/** Displays LIST_METHOD as LIST, the verb clients send. */
export const verb = (method: string) => (method === LIST_METHOD ? 'LIST' : method);

type ObjectSchema = { properties?: BodyFields; anyOf?: ObjectSchema[]; oneOf?: ObjectSchema[] };

/** The object branch's fields; a body may be `anyOf: [null, {…}]` (hvac sends null bodies). */
function bodyFields(route: RouteOptions): BodyFields {
  const body = (route.schema as { body?: ObjectSchema } | undefined)?.body;
  const object = body && [body, ...(body.anyOf ?? []), ...(body.oneOf ?? [])].find((s) => s?.properties);
  return object?.properties ?? {};
}

/** Subscribe before the runtime is created; every app built afterwards is recorded. */
export function captureRoutes(): RouteCapture {
  const routes = new Map<string, RouteInfo>();
  const hits = new Set<string>();
  const onInit = (msg: unknown) => {
    const app = (msg as { fastify: FastifyInstance }).fastify;
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method === 'OPTIONS') continue;
        const cfg = (route.config ?? {}) as { public?: unknown };
        routes.set(routeKey(method, route.url), {
          method, url: route.url, public: cfg.public === true, bodyFields: bodyFields(route),
        });
      }
    });
    // First onRequest hook of the app: it records the match before access control refuses.
    app.addHook('onRequest', (req, _reply, done) => {
      const url = req.routeOptions.url;
      if (url && !req.is404) hits.add(routeKey(req.method, url));
      done();
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  return { routes, hits, stop: () => diagnostics.unsubscribe('fastify.initialization', onInit) };
}
