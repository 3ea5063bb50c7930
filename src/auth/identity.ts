import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { LessorConfig } from '../config.js';
import type { SqlStore } from '../db/sql-store.js';
import type { RedisClient } from '../redis/client.js';
import type { RedisKeys } from '../redis/keys.js';
import type { MountInfo } from '../http/routes/sys-mounts.js';
import { sysWrappingRoutes } from '../http/routes/sys-wrapping.js';
import { MemoryWrapStore, RedisWrapStore } from './wrap-store.js';
import { ResponseWrapper } from './wrapping.js';
import type { Keyring } from '../crypto/keyring.js';
import { authTokenRoutes } from '../http/routes/auth-token.js';
import { TokenRoleStore } from './token-roles.js';
import { sysPolicyRoutes } from '../http/routes/sys-policies.js';
import { TokenAccessControl } from './access-control.js';
import { PolicyStore } from './policy-store.js';
import { MemoryVersionCounter, RedisVersionCounter } from '../redis/version-counter.js';
import { MemoryTokenStore } from './token-store-memory.js';
import { RedisTokenStore } from './token-store-redis.js';
import { TokenService } from './tokens.js';
import { bootstrapRoot } from './root-bootstrap.js';
import { installKey } from '../crypto/install-keys.js';
import { AppRoleService } from './approle/service.js';
import { MemorySecretIdStore, RedisSecretIdStore } from './approle/secret-ids.js';
import { authAppRoleRoutes } from '../http/routes/auth-approle.js';
import { authJwtRoutes } from '../http/routes/auth-jwt.js';
import { JwtSettingsRepo } from './jwt/settings.js';
import { JwtVerifier } from './jwt/verify.js';
import { authUserpassRoutes } from '../http/routes/auth-userpass.js';
import { UserpassService } from './userpass/service.js';
import { APPROLE_LOGIN_LIMITS, MemoryLoginLimiter, RedisLoginLimiter, USERPASS_LOGIN_LIMITS, type LoginLimits } from './login-limit.js';
import { AuditHasher } from '../audit/scrub.js';
import { auditLogger } from '../audit/sink.js';
import { auditHooks } from '../audit/hooks.js';
import { sysAuditHashRoutes } from '../http/routes/sys-audit-hash.js';
import { sysAuditRoutes } from '../http/routes/sys-audit.js';

/**
 * Builds identity (token store, policies, access control, auth routes) for the runtime.
 * Redis holds tokens in server mode; `lessor dev` keeps them in this process.
 */
export interface IdentityDeps {
  config: Readonly<LessorConfig>;
  log: Logger;
  sql: SqlStore;
  redis?: RedisClient;
  keys: RedisKeys;
  sealer: Keyring;
  now?: () => number;
}

export interface Identity {
  tokens: TokenService;
  policies: PolicyStore;
  access: TokenAccessControl;
  /** Route modules; the first one installs app-wide hooks and must be registered first. */
  modules: Array<(app: FastifyInstance) => Promise<void>>;
  /** The auth methods those modules serve, for `sys/auth`. */
  authMounts: MountInfo[];
  /** Response wrapping (X-Vault-Wrap-TTL), for the app's hooks. */
  wrapper: ResponseWrapper;
  /** The root token to show the operator once (generated on first start, or dev mode's). */
  rootTokenNotice?: string;
  start(): void;
  stop(): Promise<void>;
}

const SWEEP_MS = 5000;

export async function createIdentity(deps: IdentityDeps): Promise<Identity> {
  const { config, log, sql, redis, keys } = deps;
  const store = redis ? new RedisTokenStore(redis, keys) : new MemoryTokenStore();
  const tokens = new TokenService(store, log, deps.now);
  const policies = new PolicyStore(sql, redis ? new RedisVersionCounter(redis, keys, 'token', 'policy-version') : new MemoryVersionCounter());
  const access = new TokenAccessControl(tokens, policies);
  const now = deps.now ?? Date.now;
  const loginLimiter = (method: string, limits: LoginLimits) =>
    redis ? new RedisLoginLimiter(redis, keys, method, limits) : new MemoryLoginLimiter(limits, now);
  const approle = new AppRoleService(
    sql,
    redis ? new RedisSecretIdStore(redis, keys) : new MemorySecretIdStore(),
    tokens,
    await installKey(sql, deps.sealer, 'approle-secret-id-hmac'),
    log,
    redis ? new RedisVersionCounter(redis, keys, 'approle', 'role-version') : new MemoryVersionCounter(),
    loginLimiter('approle', APPROLE_LOGIN_LIMITS),
  );

  // The audit log: sinks come from the server's configuration only, never from the API.
  const hasher = new AuditHasher(await installKey(sql, deps.sealer, 'audit-hmac'));
  const audit = auditLogger({ file: config.auditFile, stdout: config.auditStdout });

  const root = await bootstrapRoot({ config, log, sql, tokens, sealer: deps.sealer });

  const wrapper = new ResponseWrapper(tokens, redis ? new RedisWrapStore(redis, keys) : new MemoryWrapStore(now), deps.sealer);
  const hooks = async (app: FastifyInstance) => {
    // Vault's num_uses: the request that takes the last use completes, then the token goes.
    app.addHook('onResponse', async (req) => {
      if (access.usedLastUse(req.identity)) await tokens.revoke(req.identity!.tokenId).catch((err) => log.warn({ err }, 'token revocation after last use failed'));
    });
  };
  (hooks as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;
  const sweep = async () => {
    if (redis) {
      // One replica sweeps per interval (BullMQ's guard); revocation is idempotent anyway.
      const got = await redis.set(keys.key('token', 'sweep-lock'), '1', 'PX', SWEEP_MS - 500, 'NX').catch(() => null);
      if (!got) return;
    }
    await tokens.sweepExpired();
  };

  return {
    tokens,
    policies,
    access,
    modules: [
      ...(audit ? [auditHooks(audit, hasher)] : []),
      hooks,
      sysAuditHashRoutes(hasher),
      sysAuditRoutes([
        ...(config.auditFile ? [{ path: 'file', filePath: config.auditFile }] : []),
        ...(config.auditStdout ? [{ path: 'stdout', filePath: 'stdout' }] : []),
      ]),
      sysWrappingRoutes(wrapper), authTokenRoutes(tokens, access, new TokenRoleStore(sql)), sysPolicyRoutes(policies, tokens), authAppRoleRoutes(approle, now),
      authJwtRoutes(new JwtSettingsRepo(sql), new JwtVerifier(), tokens),
      authUserpassRoutes(new UserpassService(sql, tokens, loginLimiter('userpass', USERPASS_LOGIN_LIMITS), log), tokens),
    ],
    wrapper,
    authMounts: [
      { path: 'token', type: 'token', description: 'token based credentials' },
      { path: 'approle', type: 'approle', description: 'AppRole: role ID and secret ID logins' },
      { path: 'jwt', type: 'jwt', description: 'JWT logins verified against JWKS, discovery or static keys' },
      { path: 'userpass', type: 'userpass', description: 'username and password logins (argon2id)' },
    ],
    rootTokenNotice: root.notice,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (sweeping) return;
        sweeping = sweep()
          .catch((err) => log.warn({ err }, 'token expiry sweep failed'))
          .finally(() => (sweeping = undefined));
      }, SWEEP_MS);
      timer.unref();
    },
    async stop() {
      root.stop();
      if (timer) clearInterval(timer);
      timer = undefined;
      await sweeping;
    },
  };
}
