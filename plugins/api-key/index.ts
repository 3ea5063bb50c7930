/**
 * api-key engine: lessor as the key authority for internal APIs. A service gets a short-lived
 * key from `apikey/creds/:role`; the services receiving it ask `apikey/verify`. The key lives
 * exactly as long as its lease: renewal moves its expiry, revocation deletes its record.
 */
import {
  commaListSchema,
  durationSchema,
  notFoundError,
  parseDuration,
  type EngineContext,
  type EnginePlugin,
  type SecretsEngine,
} from '../sdk/index.js';
import { formatKey, keyIdFor, newSecret, PREFIX_PATTERN } from './key-format.js';
import { digestOf, gcTtlMs, stateKey, type StoredKey } from './store.js';
import { verifyKey } from './verify.js';

export interface ApiKeyRole {
  key_prefix?: string;
  scopes?: string[];
  default_ttl?: number | string;
  max_ttl?: number | string;
  metadata?: Record<string, string>;
}

/** No settings: the mount has one implicit config; the HMAC key comes from ctx.secretKey. */
export type ApiKeyConfig = Record<string, never>;

export const DEFAULT_PREFIX = 'lsk';

const roleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key_prefix: { type: 'string', pattern: PREFIX_PATTERN, maxLength: 32 },
    scopes: commaListSchema({ type: 'string', minLength: 1, maxLength: 256 }, { maxItems: 256 }),
    default_ttl: durationSchema,
    max_ttl: durationSchema,
    metadata: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 1024 } },
  },
} as const;

class ApiKeyEngine implements SecretsEngine<ApiKeyConfig, ApiKeyRole> {
  async initialize(req: { config: ApiKeyConfig }): Promise<{ config: ApiKeyConfig }> {
    return { config: req.config ?? {} };
  }

  credentialId(req: { leaseId: string }): string {
    return keyIdFor(req.leaseId);
  }

  async newCredential(
    req: { credentialId: string; roleName: string; role: ApiKeyRole; expiresAt: number },
    ctx: EngineContext,
  ) {
    const keyId = req.credentialId;
    const secret = newSecret();
    const scopes = req.role.scopes ?? [];
    const record: StoredKey = {
      digest: await digestOf(ctx, keyId, secret),
      role: req.roleName,
      // A copy taken at issue: editing the role later does not widen keys already out.
      scopes,
      metadata: req.role.metadata ?? {},
      expires_at: req.expiresAt,
    };
    await ctx.state.set(stateKey(keyId), record, gcTtlMs(req.expiresAt, ctx.now()));
    ctx.log.info({ keyId, role: req.roleName }, 'api key issued');
    return { data: { key_id: keyId, api_key: formatKey(req.role.key_prefix ?? DEFAULT_PREFIX, keyId, secret), scopes } };
  }

  async updateCredential(req: { credentialId: string; expiresAt?: number }, ctx: EngineContext): Promise<void> {
    if (req.expiresAt === undefined) return;
    const key = stateKey(req.credentialId);
    const ttlMs = gcTtlMs(req.expiresAt, ctx.now());
    // One atomic step where the core offers it: a renewal's only state round trip. It never
    // recreates a record that a revocation deleted.
    const found = ctx.state.update
      ? await ctx.state.update(key, { expires_at: req.expiresAt } satisfies Partial<StoredKey>, ttlMs)
      : await this.updateByReadAndWrite(key, req.expiresAt, ttlMs, ctx);
    // The secret is not kept anywhere else, so a lost record cannot be brought back.
    if (!found) throw notFoundError(`api key ${req.credentialId} no longer exists; request a new key`);
  }

  private async updateByReadAndWrite(key: string, expiresAt: number, ttlMs: number, ctx: EngineContext): Promise<boolean> {
    const record = await ctx.state.get<StoredKey>(key);
    if (!record) return false;
    record.expires_at = expiresAt;
    await ctx.state.set(key, record, ttlMs);
    return true;
  }

  async deleteCredential(req: { credentialId: string }, ctx: EngineContext): Promise<void> {
    await ctx.state.del(stateKey(req.credentialId));
    ctx.log.info({ keyId: req.credentialId }, 'api key revoked');
  }

  async close(): Promise<void> {}
}

const optionalSeconds = (v: number | string | undefined, field: string) => (v === undefined ? undefined : parseDuration(v, field));

const plugin: EnginePlugin<ApiKeyConfig, ApiKeyRole> = {
  type: 'api-key',
  mount: { path: 'apikey', rolesPath: 'roles', credsPath: 'creds' },
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  roleSchema,
  secretConfigPaths: [],
  readableConfigFields: [],
  roleTtl: (role) => ({ ttl: optionalSeconds(role.default_ttl, 'default_ttl'), maxTtl: optionalSeconds(role.max_ttl, 'max_ttl') }),
  create: () => new ApiKeyEngine(),
  routes: [
    {
      // Services holding a token with `update` on apikey/verify ask here; the key itself is
      // the thing being judged, never the caller's credential.
      method: 'POST',
      path: 'verify',
      capabilities: ['update'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['api_key'],
        properties: { api_key: { type: 'string', maxLength: 512 } },
      },
      handler: async (req, api) => ({ data: await verifyKey(String(req.body.api_key), api.ctx) }),
    },
  ],
};

export default plugin;
