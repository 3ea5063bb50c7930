/**
 * The engine contract (after Vault's dbplugin v5: request objects, idempotent delete). An engine
 * is a folder in plugins/ whose index default-exports an EnginePlugin. It may import only this
 * SDK and npm packages, never src/: the core knows leases, the engine knows its backend.
 */

/** A JSON Schema object (TypeBox schemas are JSON Schema); fastify validates before the engine sees it. */
export type JsonSchema = Record<string, unknown>;

export interface EngineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Who asked for a credential: the caller's token, as templates and claims may use it. */
export interface Requester {
  displayName: string;
  /**
   * Entity metadata for claim templates: set by an operator (the login's role_name, username,
   * secret-ID metadata), never the caller-chosen metadata of a token.
   */
  metadata: Record<string, string>;
  entityName: string;
  policies: string[];
}

/** Where a plugin's paths live under /v1, in Vault's shape `<mount>/<configPath>/:name` etc. */
export interface MountSpec {
  /** e.g. "database", "apikey", "jwt". Several plugins may share one mount (postgres + mysql). */
  path: string;
  /**
   * Path of the named configs (one engine instance each), e.g. "config" or "keys". Absent: the
   * mount has one implicit config named "default" and no config paths.
   */
  configPath?: string;
  /** Field of a config naming the plugin when several share a mount (e.g. "plugin_name"). */
  pluginField?: string;
  rolesPath: string;
  /** Path of the credential endpoint, e.g. "creds" or "token": `<mount>/<credsPath>/:role`. */
  credsPath: string;
  /** Field of a role naming its config (e.g. "db_name", "key"); absent with no configPath. */
  roleConfigField?: string;
  /** The config field listing which roles may use it (Vault's allowed_roles), if any. */
  allowedRolesField?: string;
}

/** Per-mount key/value state kept in the lease store (Redis; memory in dev). Values are JSON. */
export interface EngineState {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** ttlMs: the entry disappears after this long (garbage collection, not a deadline). */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  /**
   * Replaces top-level fields of an existing entry (a JSON object) in one atomic step and one
   * round trip; false when there is no entry (nothing is created). ttlMs as for set; without it
   * the entry keeps its TTL. Optional while cores that predate it exist: fall back to get + set.
   */
  update?(key: string, fields: Record<string, unknown>, ttlMs?: number): Promise<boolean>;
  del(key: string): Promise<void>;
}

/** What the core gives every engine call. */
export interface EngineContext {
  log: EngineLogger;
  /** Milliseconds since the epoch; injected so tests can move time. */
  now(): number;
  /** The mount's state store (see EngineState). */
  state: EngineState;
  /**
   * A 32-byte secret for this mount and name, made on first use and kept sealed in the config
   * store (HMAC keys for API keys, for example). Same bytes on every replica.
   */
  secretKey(name: string): Promise<Buffer>;
  /** Seal/open arbitrary bytes with the install's keyring (AES-256-GCM). */
  seal(plain: Buffer): Promise<string>;
  open(sealed: string): Promise<Buffer>;
}

export interface NewCredentialRequest<Role> {
  credentialId: string;
  roleName: string;
  role: Role;
  requester: Requester;
  /** Lease expiry (ms) and the hard cap the lease can be renewed to (ms). */
  expiresAt: number;
  maxExpiresAt: number;
  leaseId: string;
  /**
   * Opaque id of the issuing config (this install, mount and config; not derivable from their
   * names). An engine that can keep a note on a credential in the target stores it there, so
   * the reconciler can prove the credential is this config's even without the core's own record
   * (see listMarked). Absent: mark nothing.
   */
  owner?: string;
}

export interface NewCredentialResult {
  /** Returned to the caller once, in the answer's data. Never stored in clear. */
  data: Record<string, unknown>;
  /** Kept with the lease, sealed: what delete/update need beyond the id (never a password unless sealed). */
  internal?: Record<string, unknown>;
}

export interface SecretsEngine<Config, Role> {
  /**
   * Checks and completes a config; verifyConnection asks it to prove the target answers. On an
   * update the config is the stored one (secrets opened) with the request's fields laid over it,
   * as Vault does, so fields the engine generated itself (signing keys) survive an update.
   */
  initialize(req: { config: Config; verifyConnection: boolean }, ctx: EngineContext): Promise<{ config: Config }>;
  /** Pure: the username / key id / jti, known BEFORE anything is created (intent first). */
  credentialId(req: { leaseId: string; roleName: string; role: Role; requester: Requester; now: number }): string;
  newCredential(req: NewCredentialRequest<Role>, ctx: EngineContext): Promise<NewCredentialResult>;
  /** Renewal (expiresAt) or a new password (static roles). */
  updateCredential?(
    req: { credentialId: string; roleName: string; role: Role; internal?: Record<string, unknown>; expiresAt?: number; password?: string },
    ctx: EngineContext,
  ): Promise<void>;
  /** Idempotent: a credential that is already gone is success. */
  deleteCredential(
    req: { credentialId: string; roleName: string; role: Role; internal?: Record<string, unknown> },
    ctx: EngineContext,
  ): Promise<void>;
  /**
   * Optional: true if this id and password log in to the target. Static-role rotation uses it to
   * prove a new password works before promoting it.
   */
  verifyCredential?(req: { credentialId: string; password: string }, ctx: EngineContext): Promise<boolean>;
  /** Replaces the config's own secret with one only lessor knows; returns the new config. */
  rotateRoot?(ctx: EngineContext): Promise<{ config: Config }>;
  /**
   * Credential ids present in the target that look like lessor's. The reconciler offers only
   * those the core recorded as issued by this config and not yet revoked, so a listing may be
   * broad (every name with the template's prefix).
   */
  listCredentials?(ctx: EngineContext): AsyncIterable<string>;
  /** Optional: credential ids in the target that carry `owner`'s mark (NewCredentialRequest.owner). */
  listMarked?(owner: string, ctx: EngineContext): AsyncIterable<string>;
  /**
   * Optional: resolves if the target answers now (a cheap query), else throws an 'unavailable'
   * EngineError. The reaper calls it while revocations wait for an unreachable target, and runs
   * them once it resolves; without it they are released on the first probe interval.
   */
  probe?(ctx: EngineContext): Promise<void>;
  close(): Promise<void>;
}

/** What a plugin's extra routes and jobs can reach in the core. */
export interface MountApi {
  mount: string;
  ctx: EngineContext;
  /**
   * Runs fn with the initialised engine of a named config (cached per replica). 404 EngineError
   * if absent. The engine stays open until fn is done, even if the config is written meanwhile.
   */
  withInstance<T>(configName: string, fn: (inst: { plugin: string; engine: SecretsEngine<unknown, unknown>; config: Record<string, unknown> }) => Promise<T>): Promise<T>;
  /** Reads a stored config, secrets opened (for the engine only; never return it to a caller). */
  readConfig(configName: string): Promise<Record<string, unknown> | undefined>;
  /** Stores a config (secretConfigPaths are sealed) and drops the cached instance. */
  writeConfig(configName: string, config: Record<string, unknown>): Promise<void>;
  /**
   * Read-modify-write of a stored config that cannot lose a concurrent write (a scheduled key
   * rotation racing a manual one): `change` gets the current config (secrets opened) and returns
   * the next; if another replica wrote in between, `change` runs again on the newer config.
   * Resolves to the config written. Optional for older cores; prefer it to read + writeConfig.
   */
  updateConfig?(
    configName: string,
    change: (current: Record<string, unknown>) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>>;
  readRole(roleName: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Names of the mount's stored configs (the JWKS lists the keys of every key set). Optional so
   * an older core still satisfies the type; plugins that need it fail with a clear error.
   */
  listConfigs?(): Promise<string[]>;
  /** Credential ids of live leases issued from this config (reconciler, static roles). */
  liveCredentialIds(configName: string): Promise<Set<string>>;
  /** Runs `runJob(jobId)` once across all replicas at or after dueAt (ms); replaces an earlier schedule. */
  schedule(jobId: string, dueAt: number): Promise<void>;
  unschedule(jobId: string): Promise<void>;
  /** Plugin-owned documents in the config store (static roles, key versions): JSON, sealed whole. */
  docs: {
    get<T = unknown>(kind: string, name: string): Promise<T | undefined>;
    put(kind: string, name: string, value: unknown): Promise<void>;
    /**
     * Read-change-write that never undoes a concurrent writer: `change` gets the current
     * document (a copy; undefined if none) and returns the one to store, or undefined to store
     * nothing; it may run more than once. Resolves to the document stored afterwards.
     */
    update<T = unknown>(kind: string, name: string, change: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined>;
    delete(kind: string, name: string): Promise<void>;
    list(kind: string): Promise<string[]>;
  };
}

export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
  /** Absent on public routes. */
  requester?: Requester;
  /**
   * `scheme://host[:port]` as the client addressed this server (absolute URLs in discovery
   * documents such as OIDC's jwks_uri). Optional: absent, plugins fall back to relative paths.
   */
  origin?: string;
}

/** Vault's envelope, minus the parts the core fills in. status 204 answers no body. */
export interface RouteResult {
  status?: 200 | 204;
  data?: unknown;
  warnings?: string[];
  /** Extra response headers (Cache-Control on JWKS, for example). */
  headers?: Record<string, string>;
  /** Send data as the whole body instead of inside Vault's envelope (JWKS, OIDC discovery). */
  raw?: boolean;
}

export interface EngineRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'LIST';
  /** Relative to the mount, fastify syntax: "verify", "keys/:name/rotate", "static-roles/:name". */
  path: string;
  /** No token needed (JWKS, discovery). */
  public?: boolean;
  /** Capability needed on the path; default follows the method as in Vault. */
  capabilities?: Array<'create' | 'read' | 'update' | 'delete' | 'list' | 'sudo'>;
  /**
   * Vault's existence check for a write of a named object: whether it exists already. Given,
   * writing a new one needs `create` and an existing one `update`; absent, a write needs `update`.
   */
  exists?(req: Pick<RouteRequest, 'params'>, api: MountApi): Promise<boolean>;
  body?: JsonSchema;
  handler(req: RouteRequest, api: MountApi): Promise<RouteResult>;
}

export interface EnginePlugin<Config = any, Role = any> {
  /** Canonical type name: "postgres", "mysql", "api-key", "jwt-signing". */
  type: string;
  /** Other names accepted in the config's plugin field ("postgresql-database-plugin"). */
  aliases?: string[];
  mount: MountSpec;
  configSchema: JsonSchema;
  roleSchema: JsonSchema;
  /** Dotted paths in the config that are secrets: sealed at rest, never returned or logged. */
  secretConfigPaths: string[];
  /** Fields of the config returned on read (allow-list; secrets never). */
  readableConfigFields?: string[];
  /** TTLs of a role, in seconds, for the lease; the core applies defaults when absent. */
  roleTtl(role: Role): { ttl?: number; maxTtl?: number };
  create(): SecretsEngine<Config, Role>;
  routes?: EngineRoute[];
  /**
   * Why a dynamic role may not take this name, if the plugin's own objects on the mount hold
   * it: as Vault, a database mount refuses a role named as a static role. Checked before the
   * role is written.
   */
  roleNameConflict?(roleName: string, api: MountApi): Promise<string | undefined>;
  /** Work scheduled with MountApi.schedule: rotations. Must be idempotent. */
  runJob?(jobId: string, api: MountApi): Promise<void>;
  /**
   * Called after the core stored a config through `<mount>/<configPath>/:name` (config: what was
   * stored, secrets opened) or deleted it (config undefined): where a plugin schedules or
   * unschedules its jobs (first key rotation). Must be idempotent; a failure is logged, not fatal.
   */
  onConfigWrite?(configName: string, config: Record<string, unknown> | undefined, api: MountApi): Promise<void>;
}
