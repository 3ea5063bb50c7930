import type { Logger } from 'pino';
import { notFoundError, configError, type EngineContext, type EnginePlugin, type MountApi, type SecretsEngine } from '../../plugins/sdk/index.js';
import type { Sealer } from '../crypto/sealer.js';
import type { LeaseEngines } from '../leases/lease-revoker.js';
import { targetOf, type LeaseRecord, type LeaseStore } from '../leases/lease-store.js';
import { internalAad } from '../leases/lease-service.js';
import type { JobRunner } from '../leases/reaper.js';
import { atTarget, cleanEngineError, secretsOf } from './engine-errors.js';
import { getPath, type EngineRepo } from './engine-repo.js';

export interface EngineInstance {
  plugin: EnginePlugin;
  engine: SecretsEngine<unknown, unknown>;
  config: Record<string, unknown>;
  /** Secret strings of this config: scrubbed from every engine error. */
  secrets: string[];
}

interface CacheEntry {
  version: number;
  ready: Promise<EngineInstance>;
  /** When this replica last confirmed `version` against the config store (performance.now()). */
  checkedAt: number;
  /** Operations using the instance now (see Engines.using). */
  holders: number;
  closing?: Promise<void>;
}

/**
 * Renewals and revocations reuse an instance whose version was confirmed this recently instead
 * of asking the config store on every call: a profile of lease renewal showed that query's
 * PostgreSQL round trip as 15% of lessor's CPU. Issuing still checks every time, a config
 * written on this replica drops the instance at once (forget), and another replica's write
 * reaches renewals here within this window.
 */
const LEASE_RECHECK_MS = 1000;

/** Config name of mounts without a configPath (one implicit config). */
export const IMPLICIT_CONFIG = 'default';

/**
 * The mounted engines of this replica: plugins by mount, one initialised instance per config
 * (cached, and re-initialised when the config's version in the store moves — on any replica),
 * the EngineContext and MountApi handed to plugins, and the lease core's view of engines.
 */
export class Engines implements LeaseEngines, JobRunner {
  readonly mounts = new Map<string, EnginePlugin[]>();
  private readonly cache = new Map<string, CacheEntry>();
  private readonly contexts = new Map<string, EngineContext>();
  /** Entries replaced or forgotten but not closed yet: closed once their last holder is done (or at shutdown). */
  private readonly retired = new Set<CacheEntry>();

  constructor(
    readonly plugins: EnginePlugin[],
    private readonly deps: { repo: EngineRepo; store: LeaseStore; sealer: Sealer; log: Logger; clock: () => number },
  ) {
    for (const p of plugins) {
      const list = this.mounts.get(p.mount.path) ?? [];
      list.push(p);
      this.mounts.set(p.mount.path, list);
    }
  }

  get repo(): EngineRepo {
    return this.deps.repo;
  }

  /** The plugin of a mount named by type or alias; the only one when the mount has one and none is named. */
  pluginFor(mount: string, type?: string): EnginePlugin | undefined {
    const list = this.mounts.get(mount) ?? [];
    if (type === undefined) return list.length === 1 ? list[0] : undefined;
    return list.find((p) => p.type === type || (p.aliases ?? []).includes(type));
  }

  ctx(mount: string, plugin: EnginePlugin): EngineContext {
    const key = `${mount}\u0000${plugin.type}`;
    let ctx = this.contexts.get(key);
    if (!ctx) {
      const { store, repo, sealer, clock } = this.deps;
      const aad = `engine:${mount}`;
      ctx = {
        log: this.deps.log.child({ mount, engine: plugin.type }),
        now: clock,
        state: {
          get: async <T>(k: string) => (await store.stateGet(mount, k)) as T | undefined,
          set: (k, v, ttlMs) => store.stateSet(mount, k, v, ttlMs),
          del: (k) => store.stateDel(mount, k),
          update: (k, fields, ttlMs) => store.stateUpdate(mount, k, fields, ttlMs),
        },
        secretKey: (name) => repo.secretKey(mount, name),
        seal: (plain) => sealer.seal(plain, aad),
        open: (sealed) => sealer.open(sealed, aad),
      };
      this.contexts.set(key, ctx);
    }
    return ctx;
  }

  hasConfigPath(mount: string): boolean {
    return (this.mounts.get(mount) ?? []).some((p) => p.mount.configPath);
  }

  /** Secret strings of every config of the mount this replica has loaded (scrubbing plugin route errors). */
  async knownSecrets(mount: string): Promise<string[]> {
    const out: string[] = [];
    for (const [key, entry] of this.cache) {
      if (!key.startsWith(`${mount}\u0000`)) continue;
      const inst = await entry.ready.catch(() => undefined);
      if (inst) out.push(...inst.secrets);
    }
    return out;
  }

  /**
   * Runs fn with the config's current instance held. A config written meanwhile (here or on
   * another replica) retires the instance instead of closing it under fn: its pool is closed
   * once the last operation holding it is done, so a request that had already picked it up
   * finishes on the old connections.
   * `recentMs`: skip the version check if this replica confirmed the instance that recently.
   * `at`: the repo's counter as this request already read it (EngineRepo.counterNow).
   */
  async using<T>(mount: string, configName: string, fn: (inst: EngineInstance) => Promise<T>, opts: { recentMs?: number; at?: number } = {}): Promise<T> {
    const entry = await this.hold(mount, configName, opts);
    try {
      return await fn(await entry.ready);
    } finally {
      entry.holders--;
      if (entry.holders === 0 && this.retired.has(entry)) void this.closeEntry(entry);
    }
  }

  /** The entry to use, its holder count already raised (in the same tick as it was chosen). */
  private async hold(mount: string, configName: string, opts: { recentMs?: number; at?: number }): Promise<CacheEntry> {
    const key = `${mount}\u0000${configName}`;
    const recent = this.cache.get(key);
    if (opts.recentMs !== undefined && recent && performance.now() - recent.checkedAt < opts.recentMs) {
      recent.holders++;
      return recent;
    }
    let version = await this.deps.repo.cachedConfigVersion(mount, configName, opts.at);
    if (version === undefined) {
      if (this.hasConfigPath(mount) || configName !== IMPLICIT_CONFIG) throw notFoundError(`no config named "${configName}" on ${mount}/`);
      version = 0;
    }
    // Read after the await: concurrent callers must share the instance one of them created.
    const cached = this.cache.get(key);
    if (cached && cached.version === version) {
      cached.checkedAt = performance.now();
      cached.holders++;
      return cached;
    }
    const ready = this.initialise(mount, configName, version);
    const entry: CacheEntry = { version, ready, checkedAt: performance.now(), holders: 1 };
    this.cache.set(key, entry);
    ready.catch(() => this.cache.get(key) === entry && this.cache.delete(key));
    if (cached) void this.retire(cached);
    return entry;
  }

  /** Closes the entry now if nothing holds it, else when its last holder is done. */
  private retire(entry: CacheEntry): Promise<void> {
    this.retired.add(entry);
    return entry.holders === 0 ? this.closeEntry(entry) : Promise.resolve();
  }

  private closeEntry(entry: CacheEntry): Promise<void> {
    entry.closing ??= entry.ready.then((i) => i.engine.close()).catch(() => {}).finally(() => this.retired.delete(entry));
    return entry.closing;
  }

  private async initialise(mount: string, configName: string, version: number): Promise<EngineInstance> {
    const stored = version === 0 ? undefined : await this.deps.repo.readConfig(mount, configName);
    const plugin = stored ? this.pluginFor(mount, stored.plugin) : this.pluginFor(mount);
    if (!plugin) throw configError(`config "${configName}" on ${mount}/ names engine "${stored?.plugin}", which is not installed`);
    const config = stored?.config ?? {};
    const secrets = secretsOf(plugin.secretConfigPaths.map((p) => getPath(config, p)));
    const engine = plugin.create() as SecretsEngine<unknown, unknown>;
    try {
      const res = await engine.initialize({ config, verifyConnection: false }, this.ctx(mount, plugin));
      return { plugin, engine, config: (res.config ?? config) as Record<string, unknown>, secrets };
    } catch (err) {
      await engine.close().catch(() => {});
      throw cleanEngineError(err, secrets);
    }
  }

  /**
   * Drops this replica's cached instance (other replicas notice the version change). Its pool
   * closes now if nothing holds it; not waited for otherwise, since the caller may be one of
   * its holders (rotate-root stores the config it rotated).
   */
  async forget(mount: string, configName: string): Promise<void> {
    const key = `${mount}\u0000${configName}`;
    const cached = this.cache.get(key);
    this.cache.delete(key);
    if (cached) await this.retire(cached);
  }

  private forLease<T>(lease: LeaseRecord, fn: (inst: EngineInstance, internal: Record<string, unknown> | undefined, ctx: EngineContext) => Promise<T>): Promise<T> {
    return this.using(lease.mount, lease.config, async (inst) => {
      if (inst.plugin.type !== lease.plugin) {
        throw configError(`config "${lease.config}" on ${lease.mount}/ is now a ${inst.plugin.type} config; the lease was issued by ${lease.plugin}`);
      }
      const internal = lease.internal
        ? (JSON.parse((await this.deps.sealer.open(lease.internal, internalAad(lease.id))).toString('utf8')) as Record<string, unknown>)
        : undefined;
      try {
        return await fn(inst, internal, this.ctx(lease.mount, inst.plugin));
      } catch (err) {
        throw cleanEngineError(err, [...inst.secrets, ...secretsOf([internal])], { mount: lease.mount, config: lease.config });
      }
    }, { recentMs: LEASE_RECHECK_MS });
  }

  async deleteCredential(lease: LeaseRecord): Promise<void> {
    await this.forLease(lease, (inst, internal, ctx) =>
      inst.engine.deleteCredential({ credentialId: lease.credentialId, roleName: lease.roleName, role: lease.role, internal }, ctx));
    // Revoked: no longer the config's to reconcile. A failure here fails the revocation, which
    // is retried (deleting again is a no-op), so the record never outlives a success for good.
    await this.deps.store.ownedRemove(targetOf(lease), lease.credentialId);
  }

  probe(mount: string, configName: string): Promise<void> {
    return this.using(mount, configName, async (inst) => {
      await inst.engine.probe?.(this.ctx(mount, inst.plugin));
    }, { recentMs: LEASE_RECHECK_MS });
  }

  updateCredential(lease: LeaseRecord, expiresAt: number): Promise<void> {
    return this.forLease(lease, async (inst, internal, ctx) => {
      await inst.engine.updateCredential?.({ credentialId: lease.credentialId, roleName: lease.roleName, role: lease.role, internal, expiresAt }, ctx);
    });
  }

  async runJob(member: string): Promise<void> {
    const [mount, type, ...rest] = member.split('|');
    const plugin = this.pluginFor(mount, type);
    if (!plugin?.runJob) throw new Error(`no engine ${type} with jobs on ${mount}/`);
    await plugin.runJob(rest.join('|'), this.api(mount, plugin));
  }

  /** What a plugin's routes and jobs reach in the core (see plugins/sdk MountApi). */
  api(mount: string, plugin: EnginePlugin): MountApi {
    const { repo, store } = this.deps;
    return {
      mount,
      ctx: this.ctx(mount, plugin),
      // A failure inside is noted as this config's, so the route's answer names its target.
      withInstance: (name, fn) => this.using(mount, name, (i) => fn({ plugin: i.plugin.type, engine: i.engine, config: i.config }))
        .catch((err: unknown) => Promise.reject(atTarget(err, { mount, config: name }))),
      readConfig: async (name) => (await repo.readConfig(mount, name))?.config,
      writeConfig: async (name, config) => {
        const existing = await repo.readConfig(mount, name);
        const owner = (existing && this.pluginFor(mount, existing.plugin)) || plugin;
        await repo.writeConfig(mount, name, owner.type, config, owner.secretConfigPaths);
        await this.forget(mount, name);
      },
      updateConfig: async (name, change) => {
        const next = await repo.updateConfig(mount, name, async (existing) => {
          if (!existing) throw notFoundError(`no config named ${name} on ${mount}/`);
          const owner = this.pluginFor(mount, existing.plugin) || plugin;
          return { plugin: owner.type, config: await change(existing.config), secretPaths: owner.secretConfigPaths };
        });
        await this.forget(mount, name);
        return next;
      },
      readRole: (name) => repo.readRole(mount, name),
      listConfigs: () => repo.listConfigs(mount),
      liveCredentialIds: (name) => this.liveCredentialIds(mount, name),
      schedule: (jobId, dueAt) => store.scheduleJob(`${mount}|${plugin.type}|${jobId}`, dueAt),
      unschedule: (jobId) => store.unscheduleJob(`${mount}|${plugin.type}|${jobId}`),
      docs: {
        get: (kind, name) => repo.getDoc(mount, kind, name),
        put: (kind, name, value) => repo.putDoc(mount, kind, name, value),
        update: (kind, name, change) => repo.updateDoc(mount, kind, name, change),
        delete: (kind, name) => repo.deleteDoc(mount, kind, name),
        list: (kind) => repo.listDocs(mount, kind),
      },
    };
  }

  async liveCredentialIds(mount: string, configName: string): Promise<Set<string>> {
    const ids = await this.deps.store.listPrefix(`${mount}/`);
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      for (const l of await this.deps.store.getMany(ids.slice(i, i + 500))) if (l && l.config === configName) out.add(l.credentialId);
    }
    return out;
  }

  /** Shutdown: every instance closes now, held or not. */
  async close(): Promise<void> {
    const entries = [...this.cache.values(), ...this.retired];
    this.cache.clear();
    await Promise.all(entries.map((e) => this.closeEntry(e)));
  }
}
