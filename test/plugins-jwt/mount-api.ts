// A stand-in for the core's MountApi for engine-level tests of the jwt plugin's routes and jobs:
// configs in a Map (initialised through the engine like the core does), scheduled jobs recorded
// so a test can run them when due. State, sealing and the clock are the real-Redis
// EngineContext from the api-key tests' helper. End-to-end tests use the real core instead.
import plugin from '../../plugins/jwt-signing/index.js';
import type { EngineRoute, MountApi, RouteResult, SecretsEngine } from '../../plugins/sdk/index.js';
import type { Teardown } from '../helpers/context.js';
import { engineContext, type TestEngineContext } from '../plugins-apikey/engine-context.js';

export interface FakeMount {
  api: MountApi;
  ctx: TestEngineContext;
  jobs: Map<string, number>;
  /** Writes a key set as `POST jwt/keys/:name` would. */
  putKeySet(name: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  route(method: EngineRoute['method'], path: string, params?: Record<string, string>, body?: Record<string, unknown>): Promise<RouteResult>;
  /** Runs every job due at the injected now, as the reaper would. */
  runDueJobs(): Promise<string[]>;
}

export async function fakeMount(t: Teardown): Promise<FakeMount> {
  const ctx = await engineContext(t);
  const configs = new Map<string, Record<string, unknown>>();
  const instances = new Map<string, SecretsEngine<unknown, unknown>>();
  const jobs = new Map<string, number>();
  const api: MountApi = {
    mount: 'jwt',
    ctx,
    async withInstance(name, fn) {
      const config = configs.get(name);
      if (!config) throw new Error(`no config ${name}`);
      let engine = instances.get(name);
      if (!engine) {
        engine = plugin.create() as SecretsEngine<unknown, unknown>;
        await engine.initialize({ config, verifyConnection: false }, ctx);
        instances.set(name, engine);
      }
      return fn({ plugin: plugin.type, engine, config });
    },
    readConfig: async (name) => (configs.has(name) ? structuredClone(configs.get(name)) : undefined),
    async writeConfig(name, config) {
      configs.set(name, structuredClone(config));
      instances.delete(name);
    },
    listConfigs: async () => [...configs.keys()],
    readRole: async () => undefined,
    liveCredentialIds: async () => new Set(),
    schedule: async (id, due) => void jobs.set(id, due),
    unschedule: async (id) => void jobs.delete(id),
    docs: { get: async () => undefined, put: async () => {}, update: async () => undefined, delete: async () => {}, list: async () => [] },
  };
  return {
    api,
    ctx,
    jobs,
    async putKeySet(name, body) {
      const stored = configs.get(name) ?? {};
      const { config } = await plugin.create().initialize({ config: { ...stored, ...body }, verifyConnection: false }, ctx);
      await api.writeConfig(name, config as Record<string, unknown>);
      await plugin.onConfigWrite!(name, config as Record<string, unknown>, api);
      return config as Record<string, unknown>;
    },
    async route(method, path, params = {}, body = {}) {
      const r = plugin.routes!.find((x) => x.method === method && x.path === path);
      if (!r) throw new Error(`no route ${method} ${path}`);
      return r.handler({ params, query: {}, body, origin: 'http://lessor.test' }, api);
    },
    async runDueJobs() {
      const ran: string[] = [];
      for (const [id, due] of [...jobs]) {
        if (due > ctx.now()) continue;
        jobs.delete(id);
        await plugin.runJob!(id, api);
        ran.push(id);
      }
      return ran;
    },
  };
}
