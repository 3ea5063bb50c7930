/**
 * jwt-signing engine: lessor signs short-lived JWTs for workloads and rotates its signing keys
 * without breaking tokens in flight. Key sets live at `jwt/keys/:name`, roles at
 * `jwt/roles/:name`, tokens come from `jwt/token/:role`; verifiers fetch the public JWKS.
 */
import { durationSchema, type EnginePlugin } from '../sdk/index.js';
import { RESERVED_CLAIMS } from './claims.js';
import { JwtEngine, tokenTtl, type JwtRole } from './engine.js';
import { ALGORITHMS, type KeyConfig } from './keyset.js';
import { onKeySetWrite, routes, runRotationJob } from './routes.js';

const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    algorithm: { type: 'string', enum: [...ALGORITHMS] },
    rotation_period: durationSchema,
    verification_ttl: durationSchema,
  },
} as const;

const roleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key'],
  properties: {
    key: { type: 'string', minLength: 1, maxLength: 128 },
    ttl: durationSchema,
    max_ttl: durationSchema,
    audience: {
      anyOf: [
        { type: 'string', minLength: 1, maxLength: 1024 },
        { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 1024 } },
      ],
    },
    issuer: { type: 'string', minLength: 1, maxLength: 1024 },
    subject: { type: 'string', minLength: 1, maxLength: 1024 },
    claims: {
      anyOf: [
        { type: 'object', propertyNames: { not: { enum: RESERVED_CLAIMS } } },
        { type: 'string', maxLength: 65536 },
      ],
    },
  },
} as const;

const plugin: EnginePlugin<KeyConfig, JwtRole> = {
  type: 'jwt-signing',
  mount: { path: 'jwt', configPath: 'keys', rolesPath: 'roles', credsPath: 'token', roleConfigField: 'key' },
  configSchema,
  roleSchema,
  secretConfigPaths: ['private_key'],
  readableConfigFields: ['algorithm', 'rotation_period', 'verification_ttl', 'current_kid'],
  roleTtl: (role) => {
    const ttl = tokenTtl(role);
    return { ttl, maxTtl: ttl };
  },
  create: () => new JwtEngine(),
  routes,
  runJob: runRotationJob,
  onConfigWrite: onKeySetWrite,
};

export default plugin;
