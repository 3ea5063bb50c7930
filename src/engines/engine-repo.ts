import { randomBytes } from 'node:crypto';
import type { Sealer } from '../crypto/sealer.js';
import { mergeRow } from '../db/merge-row.js';
import type { SqlStore } from '../db/sql-store.js';
import { LessorError } from '../errors.js';
import { MemoryVersionCounter, VersionedCache, type VersionCounter } from '../redis/version-counter.js';
import type { SealedColumn } from '../crypto/rewrap.js';

export interface StoredConfig {
  plugin: string;
  /** The full config, secrets opened: for the engine only, never for a response or a log. */
  config: Record<string, unknown>;
  version: number;
}

const configAad = (mount: string, name: string) => `engine_configs:${mount}/${name}`;
const docAad = (mount: string, kind: string, name: string) => `engine_docs:${mount}/${kind}/${name}`;
const keyAad = (mount: string, name: string) => `engine_secret_keys:${mount}/${name}`;

/** Sealed columns of this repo, for the keyring's background rewrap. */
export const ENGINE_SEALED_COLUMNS: SealedColumn[] = [
  { table: 'engine_configs', keyColumns: ['mount', 'name'], column: 'secrets', aad: (r) => configAad(String(r.mount), String(r.name)) },
  { table: 'engine_docs', keyColumns: ['mount', 'kind', 'name'], column: 'sealed', aad: (r) => docAad(String(r.mount), String(r.kind), String(r.name)) },
  { table: 'engine_secret_keys', keyColumns: ['mount', 'name'], column: 'sealed', aad: (r) => keyAad(String(r.mount), String(r.name)) },
];

export function getPath(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (typeof cur[part] !== 'object' || cur[part] === null) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

function deletePath(obj: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  let cur: unknown = obj;
  for (const part of parts.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur && typeof cur === 'object') delete (cur as Record<string, unknown>)[parts[parts.length - 1]];
}

/** Engine configs, roles, plugin documents and secret keys in the config store. */
/** The age limit catches what the counter cannot see: rows changed by hand in SQL. */
const MAX_CACHE_AGE_MS = 30_000;
const MAX_CACHED = 10_000;

export class EngineRepo {
  /** Roles and config versions, kept while the shared counter stands still. */
  private readonly roles = new VersionedCache<{ role?: Record<string, unknown> }>({ maxEntries: MAX_CACHED, maxAgeMs: MAX_CACHE_AGE_MS });
  private readonly versions = new VersionedCache<{ version?: number }>({ maxEntries: MAX_CACHED, maxAgeMs: MAX_CACHE_AGE_MS });

  /**
   * `counter` is bumped after every write of a config or role (by any replica, through Redis),
   * so the creds path can keep what it read until something changes.
   */
  constructor(private readonly sql: SqlStore, private readonly sealer: Sealer, private readonly counter: VersionCounter = new MemoryVersionCounter()) {}

  private async changed(): Promise<void> {
    await this.counter.bump();
  }

  /** The counter now: read once per request and passed to the cached reads below. */
  counterNow(): Promise<number> {
    return this.counter.get();
  }

  /** readRole, without a config-store query unless a config or role changed since the last read. */
  async cachedRole(mount: string, name: string, at?: number): Promise<Record<string, unknown> | undefined> {
    const v = at ?? (await this.counter.get());
    const key = `${mount}\u0000${name}`;
    let hit = this.roles.get(v, key);
    if (!hit) {
      hit = { role: await this.readRole(mount, name) };
      this.roles.set(v, key, hit);
    }
    return hit.role && structuredClone(hit.role);
  }

  /** configVersion, without a config-store query unless a config or role changed since the last read. */
  async cachedConfigVersion(mount: string, name: string, at?: number): Promise<number | undefined> {
    const v = at ?? (await this.counter.get());
    const key = `${mount}\u0000${name}`;
    let hit = this.versions.get(v, key);
    if (!hit) {
      hit = { version: await this.configVersion(mount, name) };
      this.versions.set(v, key, hit);
    }
    return hit.version;
  }

  async readConfig(mount: string, name: string): Promise<StoredConfig | undefined> {
    const { rows } = await this.sql.query<{ plugin: string; config: Record<string, unknown>; secrets: string | null; version: string }>(
      'SELECT plugin, config, secrets, version FROM engine_configs WHERE mount = $1 AND name = $2', [mount, name]);
    const row = rows[0];
    if (!row) return undefined;
    const config = structuredClone(row.config);
    if (row.secrets) {
      const secrets = JSON.parse((await this.sealer.open(row.secrets, configAad(mount, name))).toString('utf8')) as Record<string, unknown>;
      for (const [path, value] of Object.entries(secrets)) setPath(config, path, value);
    }
    return { plugin: row.plugin, config, version: Number(row.version) };
  }

  async configVersion(mount: string, name: string): Promise<number | undefined> {
    const { rows } = await this.sql.query<{ version: string }>('SELECT version FROM engine_configs WHERE mount = $1 AND name = $2', [mount, name]);
    return rows[0] ? Number(rows[0].version) : undefined;
  }

  /**
   * Read, change, write over the version read (optimistic concurrency): a writer that lost the
   * race goes round again on the newer config, up to `rounds` times, then 409. `change` gets the
   * stored config (undefined when there is none, and then the write is an insert that a
   * concurrent create beats the same way). Returns the config written.
   */
  async updateConfig(
    mount: string, name: string,
    change: (existing: StoredConfig | undefined) => Promise<{ plugin: string; config: Record<string, unknown>; secretPaths: string[] }>,
    rounds = 10,
  ): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < rounds; attempt++) {
      const existing = await this.readConfig(mount, name);
      const next = await change(existing);
      const { plain, sealed } = await this.splitSecrets(mount, name, next.config, next.secretPaths);
      const { rowCount } = existing
        ? await this.sql.query(
          `UPDATE engine_configs SET plugin = $3, config = $4, secrets = $5, version = version + 1, updated_at = now()
            WHERE mount = $1 AND name = $2 AND version = $6`,
          [mount, name, next.plugin, JSON.stringify(plain), sealed, existing.version])
        : await this.sql.query(
          'INSERT INTO engine_configs (mount, name, plugin, config, secrets) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
          [mount, name, next.plugin, JSON.stringify(plain), sealed]);
      if (rowCount === 1) {
        await this.changed();
        return next.config;
      }
    }
    throw new LessorError('CONFLICT', `config ${mount}/${name} kept changing under this write; try again`);
  }

  private async splitSecrets(mount: string, name: string, config: Record<string, unknown>, secretPaths: string[]) {
    const plain = structuredClone(config);
    const secrets: Record<string, unknown> = {};
    for (const path of secretPaths) {
      const v = getPath(plain, path);
      if (v === undefined) continue;
      secrets[path] = v;
      deletePath(plain, path);
    }
    const sealed = Object.keys(secrets).length > 0
      ? await this.sealer.seal(Buffer.from(JSON.stringify(secrets)), configAad(mount, name))
      : null;
    return { plain, sealed };
  }

  async writeConfig(mount: string, name: string, plugin: string, config: Record<string, unknown>, secretPaths: string[]): Promise<void> {
    const { plain, sealed } = await this.splitSecrets(mount, name, config, secretPaths);
    await this.sql.query(
      `INSERT INTO engine_configs (mount, name, plugin, config, secrets) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (mount, name) DO UPDATE SET plugin = EXCLUDED.plugin, config = EXCLUDED.config,
         secrets = EXCLUDED.secrets, version = engine_configs.version + 1, updated_at = now()`,
      [mount, name, plugin, JSON.stringify(plain), sealed]);
    await this.changed();
  }

  /**
   * A new version of an unchanged config, so every replica re-initialises its instance from the
   * stored config (Vault's `reset`). False when there is no such config.
   */
  async bumpConfigVersion(mount: string, name: string): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      'UPDATE engine_configs SET version = version + 1, updated_at = now() WHERE mount = $1 AND name = $2', [mount, name]);
    if (rowCount === 1) await this.changed();
    return rowCount === 1;
  }

  async deleteConfig(mount: string, name: string): Promise<void> {
    await this.sql.query('DELETE FROM engine_configs WHERE mount = $1 AND name = $2', [mount, name]);
    await this.changed();
  }

  async listConfigs(mount: string): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM engine_configs WHERE mount = $1 ORDER BY name', [mount]);
    return rows.map((r) => r.name);
  }

  async readRole(mount: string, name: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.sql.query<{ role: Record<string, unknown> }>('SELECT role FROM engine_roles WHERE mount = $1 AND name = $2', [mount, name]);
    return rows[0]?.role;
  }

  /**
   * Writes the role `change` makes of the stored one (undefined: none yet), under a row lock,
   * so two partial updates of one role both land. `change` may throw to refuse the write.
   */
  async mergeRole(mount: string, name: string, change: (prev: Record<string, unknown> | undefined) => Promise<Record<string, unknown>>): Promise<void> {
    await mergeRow<Record<string, unknown>>(this.sql, {
      read: async (tx) => {
        const { rows } = await tx.query<{ role: Record<string, unknown> }>('SELECT role FROM engine_roles WHERE mount = $1 AND name = $2 FOR UPDATE', [mount, name]);
        return rows[0]?.role;
      },
      write: async (tx, prev) => {
        const role = JSON.stringify(await change(prev));
        if (prev) {
          await tx.query('UPDATE engine_roles SET role = $3, updated_at = now() WHERE mount = $1 AND name = $2', [mount, name, role]);
          return true;
        }
        return (await tx.query('INSERT INTO engine_roles (mount, name, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [mount, name, role])).rowCount === 1;
      },
    });
    await this.changed();
  }

  async deleteRole(mount: string, name: string): Promise<void> {
    await this.sql.query('DELETE FROM engine_roles WHERE mount = $1 AND name = $2', [mount, name]);
    await this.changed();
  }

  async listRoles(mount: string): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM engine_roles WHERE mount = $1 ORDER BY name', [mount]);
    return rows.map((r) => r.name);
  }

  async getDoc<T>(mount: string, kind: string, name: string): Promise<T | undefined> {
    const { rows } = await this.sql.query<{ sealed: string }>(
      'SELECT sealed FROM engine_docs WHERE mount = $1 AND kind = $2 AND name = $3', [mount, kind, name]);
    if (!rows[0]) return undefined;
    return JSON.parse((await this.sealer.open(rows[0].sealed, docAad(mount, kind, name))).toString('utf8')) as T;
  }

  async putDoc(mount: string, kind: string, name: string, value: unknown): Promise<void> {
    const sealed = await this.sealer.seal(Buffer.from(JSON.stringify(value)), docAad(mount, kind, name));
    await this.sql.query(
      `INSERT INTO engine_docs (mount, kind, name, sealed) VALUES ($1, $2, $3, $4)
       ON CONFLICT (mount, kind, name) DO UPDATE SET sealed = EXCLUDED.sealed, version = engine_docs.version + 1, updated_at = now()`,
      [mount, kind, name, sealed]);
  }

  /**
   * Read, change, write over the version read; a writer that lost the race goes round again
   * with the newer document. `change` gets a copy (undefined when there is none) and returns
   * the document to store, or undefined to leave it as it is; a document deleted meanwhile is
   * never brought back by an update that read it before. Returns what is stored afterwards.
   */
  async updateDoc<T>(mount: string, kind: string, name: string, change: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
    const aad = docAad(mount, kind, name);
    for (let attempt = 0; attempt < 10; attempt++) {
      const { rows } = await this.sql.query<{ sealed: string; version: string }>(
        'SELECT sealed, version FROM engine_docs WHERE mount = $1 AND kind = $2 AND name = $3', [mount, kind, name]);
      const current = rows[0] ? (JSON.parse((await this.sealer.open(rows[0].sealed, aad)).toString('utf8')) as T) : undefined;
      const next = await change(current === undefined ? undefined : structuredClone(current));
      if (next === undefined) return current;
      const sealed = await this.sealer.seal(Buffer.from(JSON.stringify(next)), aad);
      const { rowCount } = rows[0]
        ? await this.sql.query(
          `UPDATE engine_docs SET sealed = $4, version = version + 1, updated_at = now()
            WHERE mount = $1 AND kind = $2 AND name = $3 AND version = $5`, [mount, kind, name, sealed, rows[0].version])
        : await this.sql.query(
          'INSERT INTO engine_docs (mount, kind, name, sealed) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [mount, kind, name, sealed]);
      if (rowCount === 1) return next;
    }
    throw new LessorError('CONFLICT', `${kind} ${name} on ${mount}/ kept changing under this update; try again`);
  }

  async deleteDoc(mount: string, kind: string, name: string): Promise<void> {
    await this.sql.query('DELETE FROM engine_docs WHERE mount = $1 AND kind = $2 AND name = $3', [mount, kind, name]);
  }

  async listDocs(mount: string, kind: string): Promise<string[]> {
    const { rows } = await this.sql.query<{ name: string }>('SELECT name FROM engine_docs WHERE mount = $1 AND kind = $2 ORDER BY name', [mount, kind]);
    return rows.map((r) => r.name);
  }

  /** First writer wins (ON CONFLICT DO NOTHING), so replicas racing on first use agree. */
  async secretKey(mount: string, name: string): Promise<Buffer> {
    const aad = keyAad(mount, name);
    const { rows } = await this.sql.query<{ sealed: string }>('SELECT sealed FROM engine_secret_keys WHERE mount = $1 AND name = $2', [mount, name]);
    if (rows[0]) return this.sealer.open(rows[0].sealed, aad);
    await this.sql.query('INSERT INTO engine_secret_keys (mount, name, sealed) VALUES ($1, $2, $3) ON CONFLICT (mount, name) DO NOTHING',
      [mount, name, await this.sealer.seal(randomBytes(32), aad)]);
    const again = await this.sql.query<{ sealed: string }>('SELECT sealed FROM engine_secret_keys WHERE mount = $1 AND name = $2', [mount, name]);
    return this.sealer.open(again.rows[0].sealed, aad);
  }
}
