import type { Logger } from 'pino';
import type { Sealer } from '../crypto/sealer.js';
import type { SqlStore } from '../db/sql-store.js';
import type { LeaseStore } from '../leases/lease-store.js';
import { DEFAULT_PLUGINS_DIR, discoverPlugins } from './discover.js';
import { EngineRepo } from './engine-repo.js';
import type { VersionCounter } from '../redis/version-counter.js';
import { Engines } from './engines.js';

export { ENGINE_SEALED_COLUMNS } from './engine-repo.js';
export { engineRoutes } from './mount-module.js';
export { Engines } from './engines.js';

/** Finds the plugins (plugins/ plus any extra dirs, e.g. a test's fake engine) and mounts them. */
export async function createEngines(deps: {
  sql: SqlStore; store: LeaseStore; sealer: Sealer; log: Logger; clock: () => number; extraPluginDirs?: string[];
  /** Bumped on every config or role write; shared by replicas (Redis) so their caches follow. */
  versions?: VersionCounter;
}): Promise<Engines> {
  const plugins = await discoverPlugins([DEFAULT_PLUGINS_DIR, ...(deps.extraPluginDirs ?? [])]);
  const engines = new Engines(plugins, {
    repo: new EngineRepo(deps.sql, deps.sealer, deps.versions), store: deps.store, sealer: deps.sealer, log: deps.log.child({ component: 'engines' }), clock: deps.clock,
  });
  deps.log.info({ engines: plugins.map((p) => `${p.mount.path}/:${p.type}`) }, 'engines mounted');
  return engines;
}
