// A whole lessor runtime for one test: its own PostgreSQL database as config store, its own
// Redis key prefix on the run's Redis, a random master key and a known root token. What runs
// here is what `lessor server` runs (createRuntime), so tests exercise the production wiring.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { freshPgDatabase, redisPrefix, sharedRedis, type Teardown } from './context.js';

export interface TestRuntime {
  rt: Runtime;
  rootToken: string;
  /** Every line the service log wrote, for no-secret-in-logs checks. */
  logLines: string[];
  env: Record<string, string>;
  /** In-process request through fastify's inject; body is parsed JSON when there is one. */
  call(method: string, path: string, opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<CallResult>;
  /** Listens on 127.0.0.1 on a free port (for node-vault / hvac / curl); returns the base URL. */
  listen(): Promise<string>;
}

export interface CallResult {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

export interface TestRuntimeOptions {
  /** Extra LESSOR_* variables (override the defaults below). */
  env?: Record<string, string>;
  /** Use `lessor dev`'s in-process stores instead of PostgreSQL + Redis. */
  devMode?: boolean;
  /** Reuse a config store / Redis prefix (a second replica of the same install). */
  shareWith?: TestRuntime;
  /** Start the reaper and other background work (default false: tests drive them). */
  background?: boolean;
  /** Extra createRuntime options (fake engine plugin dirs, an injected clock, lease tuning). */
  runtime?: Omit<RuntimeOptions, 'log' | 'inMemoryConfig'>;
}

export async function testRuntime(t: Teardown, opts: TestRuntimeOptions = {}): Promise<TestRuntime> {
  let env: Record<string, string>;
  if (opts.shareWith) {
    env = { ...opts.shareWith.env, ...opts.env };
  } else if (opts.devMode) {
    env = {
      LESSOR_DEV_ROOT_TOKEN: `lsr.${randomBytes(16).toString('hex')}`,
      LESSOR_MASTER_KEY: randomBytes(32).toString('base64'),
      LESSOR_LOG_LEVEL: 'info',
      ...opts.env,
    };
  } else {
    env = {
      LESSOR_DATABASE_URL: await freshPgDatabase(t),
      LESSOR_REDIS_URL: (await sharedRedis()).url,
      LESSOR_REDIS_PREFIX: redisPrefix(t).replace(/:$/, ''),
      LESSOR_MASTER_KEY: randomBytes(32).toString('base64'),
      LESSOR_ROOT_TOKEN: `lsr.${randomBytes(16).toString('hex')}`,
      LESSOR_LOG_LEVEL: 'info',
      ...opts.env,
    };
  }
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const config = loadConfig(opts.devMode ? 'dev' : 'server', env);
  const rt = await createRuntime(config, { ...opts.runtime, log: createLogger(config.logLevel, sink), inMemoryConfig: opts.devMode });
  t.teardown(() => rt.close());
  if (opts.background) rt.startBackground();
  const rootToken = env.LESSOR_ROOT_TOKEN ?? env.LESSOR_DEV_ROOT_TOKEN;

  const call: TestRuntime['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? rootToken : o.token;
    if (token) headers['x-vault-token'] = token;
    let url = path.startsWith('/') ? path : `/v1/${path}`;
    // inject cannot send the LIST verb; Vault clients' other spelling of it is ?list=true.
    if (method === 'LIST') {
      method = 'GET';
      url += (url.includes('?') ? '&' : '?') + 'list=true';
    }
    const res = await rt.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
    });
    let body: unknown = res.body;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode, body, headers: res.headers };
  };

  let base: string | undefined;
  const listen = async () => {
    if (!base) base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
    return base;
  };
  return { rt, rootToken, logLines, env, call, listen };
}
