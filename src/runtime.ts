import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, type AppModule } from './app.js';
import type { LessorConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { openSqlStore } from './db/open-store.js';
import type { SqlStore } from './db/sql-store.js';
import type { HealthCheck } from './http/routes/health.js';
import { createLogger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { connectRedis, type RedisClient } from './redis/client.js';
import { RedisKeys } from './redis/keys.js';
import { RedisVersionCounter } from './redis/version-counter.js';
import { Keyring } from './crypto/keyring.js';
import { resolveMasterKey } from './crypto/master-key.js';
import { RewrapJob, sealedColumnTask } from './crypto/rewrap.js';
import { INSTALL_KEYS_COLUMN } from './crypto/install-keys.js';
import { sysKeyRoutes } from './http/routes/sys-keys.js';
import { sysMountRoutes, type MountInfo } from './http/routes/sys-mounts.js';
import { sysStatusRoutes } from './http/routes/sys-status.js';
import { createIdentity } from './auth/identity.js';
import { DEFAULT_TTL as TOKEN_DEFAULT_TTL, MAX_TTL as TOKEN_MAX_TTL, type TokenService } from './auth/tokens.js';
import type { PolicyStore } from './auth/policy-store.js';
import { createEngines, engineRoutes, ENGINE_SEALED_COLUMNS, type Engines } from './engines/index.js';
import { createLeaseSystem, type LeaseTuning } from './leases/index.js';
import type { LeaseService } from './leases/lease-service.js';
import type { Reaper } from './leases/reaper.js';
import { sysLeaseRoutes } from './http/routes/sys-leases.js';

/**
 * The composition root: opens the stores, builds every service and the HTTP app, and knows
 * how to close them again in order. `lessor dev`, `lessor server` and the tests all come here,
 * so what runs in tests is what runs in production.
 */
export interface Runtime {
  config: Readonly<LessorConfig>;
  log: Logger;
  sql: SqlStore;
  redis?: RedisClient;
  keys: RedisKeys;
  metrics: Metrics;
  /** The keyring: seal/open secrets at rest (AES-256-GCM under the master key). */
  sealer: Keyring;
  /** Moves sealed values to the current key term; stores register their sealed columns here. */
  rewrap: RewrapJob;
  /** Tokens: issue, look up, revoke (with children); `tokens.onRevoked(fn)` hears every revocation. */
  tokens: TokenService;
  policies: PolicyStore;
  /** A root token generated at this start (first `lessor server` on an empty install, or `lessor dev`), to print once. */
  rootTokenNotice?: string;
  /** Leases: issue, renew, revoke, look up (sys/leases/*); the store is `leases.store`. */
  leases: LeaseService;
  /** This replica's reaper; `reaper.runOnce()` sweeps now (tests). */
  reaper: Reaper;
  /** Mounted secrets engines (plugins/), their configs, roles and instances. */
  engines: Engines;
  app: FastifyInstance;
  /** Background work (reaper, rewrap) starts here, not at construction, so tests can drive it. */
  startBackground(): void;
  /** Stops accepting requests and lets in-flight ones finish; services stay open. close() does it too. */
  stopServing(): Promise<void>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log?: Logger;
  /** Keep the PGlite config store in memory (tests of dev mode). */
  inMemoryConfig?: boolean;
  /** Extra plugin folders besides plugins/ (tests mount a fake engine this way). */
  pluginDirs?: string[];
  /** Milliseconds since the epoch; injected so tests can move time. */
  clock?: () => number;
  /** Lease TTL defaults, reaper claims and batch sizes, revocation backoff. */
  leaseTuning?: LeaseTuning;
}

export async function createRuntime(config: Readonly<LessorConfig>, opts: RuntimeOptions = {}): Promise<Runtime> {
  const closers: Array<() => Promise<unknown>> = [];
  try {
    return await assemble(config, opts, closers);
  } catch (err) {
    // A start that fails half-way (Redis down at bootstrap, a bad migration) must not leave
    // pools and connections open: the process would hang instead of exiting with the error.
    for (const close of [...closers].reverse()) await close().catch(() => {});
    throw err;
  }
}

async function assemble(
  config: Readonly<LessorConfig>,
  opts: RuntimeOptions,
  closers: Array<() => Promise<unknown>>,
): Promise<Runtime> {
  const log = opts.log ?? createLogger(config.logLevel);
  const metrics = createMetrics({ defaultMetrics: true });
  const background: Array<() => void> = [];

  const sql = await openSqlStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, inMemory: opts.inMemoryConfig });
  closers.push(() => sql.close());
  await migrate(sql);
  const sealer = await Keyring.open(sql, resolveMasterKey(config));
  const rewrap = new RewrapJob(sealer, log);
  rewrap.register(sealedColumnTask(sql, INSTALL_KEYS_COLUMN));
  background.push(() => rewrap.start());
  closers.push(() => rewrap.stop());

  const health: HealthCheck[] = [{ name: 'config store', check: () => sql.ping() }];
  let redis: RedisClient | undefined;
  if (config.redisUrl) {
    redis = await connectRedis(config.redisUrl, { cluster: config.redisCluster, log });
    const r = redis;
    closers.push(() => r.quit().catch(() => r.disconnect()));
    health.push({ name: 'redis', check: async () => void (await r.ping()) });
  }
  const keys = new RedisKeys(config.redisPrefix);

  const modules: AppModule[] = [];
  // Services and their route modules are added here as they are built (identity, leases,
  // engines); each pushes its routes onto `modules` and its shutdown onto `closers`.
  const identity = await createIdentity({ config, log, sql, redis, keys, sealer });
  modules.push(...identity.modules, sysKeyRoutes(sealer, () => void rewrap.runOnce()));
  background.push(() => identity.start());
  closers.push(() => identity.stop());

  const clock = opts.clock ?? Date.now;
  let engines: Engines | undefined;
  const leases = createLeaseSystem({
    redis, keys, sealer, metrics, log, clock, reaperIntervalMs: config.reaperIntervalMs, tuning: opts.leaseTuning,
    access: () => identity.access,
    tokenAncestors: async (id) => (await identity.tokens.lookup(id, { current: true }))?.record.ancestors,
    engines: () => engines!,
  });
  engines = await createEngines({
    sql, store: leases.store, sealer, log, clock, extraPluginDirs: opts.pluginDirs,
    versions: redis ? new RedisVersionCounter(redis, keys, 'engines', 'version') : undefined,
  });
  for (const column of ENGINE_SEALED_COLUMNS) rewrap.register(sealedColumnTask(sql, column));
  modules.push(sysLeaseRoutes(leases.service), engineRoutes(engines, leases.service));
  modules.push(sysStatusRoutes({ storageType: config.databaseUrl ? 'postgresql' : 'pglite' }), sysMountRoutes(secretMounts(engines), identity.authMounts, {
    secrets: leases.service.ttls, auth: { defaultTtl: TOKEN_DEFAULT_TTL, maxTtl: TOKEN_MAX_TTL },
  }));
  // Token cascade: revoking a token (children included) revokes every lease they created.
  identity.tokens.onRevoked(async (tokenIds, orphaned) => {
    // The orphans' leases leave the revoked token's cascade before it runs.
    if (orphaned) await leases.service.store.unindex(orphaned.children, orphaned.cutFrom);
    await leases.service.revokeByTokens(tokenIds);
  });
  background.push(() => leases.reaper.start());
  const mounted = engines;
  closers.push(() => mounted.close());
  closers.push(() => leases.reaper.stop());

  const app = await buildApp({ log, metrics, health, modules, access: identity.access, wrapper: identity.wrapper });
  let serving: Promise<void> | undefined;
  const stopServing = () => (serving ??= app.close());
  let closing: Promise<void> | undefined;

  return {
    config,
    log,
    sql,
    redis,
    keys,
    metrics,
    sealer,
    rewrap,
    tokens: identity.tokens,
    leases: leases.service,
    reaper: leases.reaper,
    engines,
    policies: identity.policies,
    rootTokenNotice: identity.rootTokenNotice,
    app,
    startBackground() {
      for (const start of background) start();
    },
    stopServing,
    close() {
      // Once: a second call (a test's teardown after an explicit close) waits for the first.
      closing ??= (async () => {
        await stopServing();
        for (const close of [...closers].reverse()) await close().catch((err) => log.warn({ err }, 'error while closing'));
      })();
      return closing;
    },
  };
}

/** The engine mounts for `sys/mounts`; several plugins sharing a mount (database/) give its name as the type. */
function secretMounts(engines: Engines): MountInfo[] {
  const out: MountInfo[] = [{ path: 'sys', type: 'system', description: 'system endpoints used for control, policy and debugging' }];
  for (const [path, plugins] of engines.mounts) {
    out.push({
      path,
      type: plugins.length === 1 ? plugins[0].type : path,
      description: `lessor ${plugins.map((p) => p.type).join(', ')} engine${plugins.length > 1 ? 's' : ''}`,
    });
  }
  return out;
}
