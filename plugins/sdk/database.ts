/**
 * What Vault's database secrets engine calls a connection and a role, shared by the SQL engines
 * (postgres, mysql): the config and role shapes, their JSON schemas, and the small pieces both
 * need (connection URL templating, TTL reading).
 */
import { commaListSchema } from './comma-list.js';
import { durationSchema, parseDuration } from './duration.js';
import { passwordPolicySchema, type PasswordPolicy } from './password-policy.js';

type Statements = string | string[];

export interface DatabaseConfig {
  plugin_name?: string;
  /** May hold {{username}} and {{password}}, filled from the fields below (URL-encoded). */
  connection_url: string;
  username?: string;
  password?: string;
  allowed_roles?: string[] | string;
  verify_connection?: boolean;
  max_open_connections?: number;
  max_idle_connections?: number;
  max_connection_lifetime?: number | string;
  /** Seconds to wait for a connection before answering 503 (lessor extension). */
  connect_timeout?: number | string;
  username_template?: string;
  password_policy?: PasswordPolicy;
  tls_ca?: string;
  tls_certificate?: string;
  /** PEM key for tls_certificate (PostgreSQL's name). */
  private_key?: string;
  /** PEM certificate and key in one (MySQL's name). */
  tls_certificate_key?: string;
  tls_server_name?: string;
  tls_skip_verify?: boolean;
  /** Statements for rotate-root instead of the engine's own ({{name}}, {{password}}). */
  root_rotation_statements?: Statements;
  /** Vault's: true leaves {{username}}/{{password}} unescaped in connection_url. */
  disable_escaping?: boolean;
  /** PostgreSQL: 'scram-sha-256' sends a verifier computed by lessor instead of the password. */
  password_authentication?: 'password' | 'scram-sha-256';
  /** PostgreSQL: PBKDF2 rounds of that verifier (lessor extension; PostgreSQL 16's GUC name). */
  scram_iterations?: number;
  /** Static-role rotation statements are kept on the static role, not here. */
  [extra: string]: unknown;
}

export interface DatabaseRole {
  db_name: string;
  creation_statements?: Statements;
  revocation_statements?: Statements;
  renew_statements?: Statements;
  rollback_statements?: Statements;
  /** Static roles only (passed by the static-role code, never stored on a dynamic role). */
  rotation_statements?: Statements;
  default_ttl?: number | string;
  max_ttl?: number | string;
}

const statements = { anyOf: [{ type: 'string', maxLength: 65536 }, { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 65536 } }] };

export const DATABASE_SECRET_FIELDS = ['password', 'private_key', 'tls_certificate_key'];

export const DATABASE_READABLE_FIELDS = [
  'plugin_name', 'connection_url', 'username', 'allowed_roles', 'verify_connection', 'max_open_connections',
  'max_idle_connections', 'max_connection_lifetime', 'connect_timeout', 'username_template', 'password_policy',
  'tls_ca', 'tls_certificate', 'tls_server_name', 'tls_skip_verify', 'root_rotation_statements', 'disable_escaping',
  'password_authentication', 'scram_iterations',
];

/** extra: engine-specific fields (postgres adds password_authentication, scram_iterations). */
export function databaseConfigSchema(pluginNames: string[], extra: Record<string, unknown> = {}) {
  return {
    type: 'object',
    additionalProperties: false,
    // plugin_name picks the plugin; the core removes it before this schema sees the config.
    required: ['connection_url'],
    properties: {
      plugin_name: { type: 'string', enum: pluginNames },
      connection_url: { type: 'string', minLength: 1, maxLength: 4096 },
      username: { type: 'string', minLength: 1, maxLength: 128 },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
      allowed_roles: commaListSchema({ type: 'string', maxLength: 256 }),
      verify_connection: { type: 'boolean' },
      max_open_connections: { type: 'integer', minimum: 1, maximum: 1000 },
      max_idle_connections: { type: 'integer', minimum: 0, maximum: 1000 },
      max_connection_lifetime: durationSchema,
      connect_timeout: durationSchema,
      username_template: { type: 'string', minLength: 1, maxLength: 1024 },
      password_policy: passwordPolicySchema,
      tls_ca: { type: 'string', maxLength: 65536 },
      tls_certificate: { type: 'string', maxLength: 65536 },
      private_key: { type: 'string', maxLength: 65536 },
      tls_certificate_key: { type: 'string', maxLength: 131072 },
      tls_server_name: { type: 'string', maxLength: 255 },
      tls_skip_verify: { type: 'boolean' },
      root_rotation_statements: statements,
      disable_escaping: { type: 'boolean' },
      // Accepted for Vault clients that send it; lessor's engines are built in.
      plugin_version: { type: 'string', maxLength: 64 },
      ...extra,
    },
  } as const;
}

export const databaseRoleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['db_name', 'creation_statements'],
  properties: {
    db_name: { type: 'string', minLength: 1, maxLength: 256 },
    creation_statements: statements,
    revocation_statements: statements,
    renew_statements: statements,
    rollback_statements: statements,
    default_ttl: durationSchema,
    max_ttl: durationSchema,
    // Vault's other credential types (rsa_private_key, client_certificate) are not offered.
    credential_type: { type: 'string', enum: ['password'] },
  },
} as const;

export function databaseRoleTtl(role: DatabaseRole): { ttl?: number; maxTtl?: number } {
  return {
    ...(role.default_ttl !== undefined ? { ttl: parseDuration(role.default_ttl, 'default_ttl') } : {}),
    ...(role.max_ttl !== undefined ? { maxTtl: parseDuration(role.max_ttl, 'max_ttl') } : {}),
  };
}

/** Fills {{username}} / {{password}} in a connection URL, URL-encoded so any password survives. */
export function renderConnectionUrl(url: string, username?: string, password?: string, disableEscaping = false): string {
  const esc = disableEscaping ? (v: string) => v : encodeURIComponent;
  return url
    .replace(/\{\{\s*username\s*\}\}/g, () => esc(username ?? ''))
    .replace(/\{\{\s*password\s*\}\}/g, () => esc(password ?? ''));
}

/** Seconds from a duration field, with a default. */
export function seconds(value: number | string | undefined, fallback: number, field: string): number {
  return value === undefined ? fallback : parseDuration(value, field);
}
