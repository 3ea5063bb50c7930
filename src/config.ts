/**
 * The only reader of process.env. Values are parsed once, checked, and frozen; a bad value
 * becomes a ConfigError whose message is one line naming the variable, so the CLI can print it
 * without a stack trace.
 */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LessorConfig {
  mode: 'server' | 'dev';
  listen: { host: string; port: number };
  databaseUrl?: string;
  redisUrl?: string;
  redisCluster: boolean;
  redisPrefix: string;
  dataDir: string;
  logLevel: LogLevel;
  masterKey?: string;
  auditFile?: string;
  auditStdout: boolean;
  rootToken?: string;
  /** Milliseconds between reaper sweeps. */
  reaperIntervalMs: number;
  /** `lessor dev`: how long a graceful exit may spend revoking the leases it holds (ms). */
  devExitRevokeMs: number;
}

type Env = Record<string, string | undefined>;

export function parseListen(value: string, variable = 'LESSOR_LISTEN'): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new ConfigError(variable, `expected host:port (for example 127.0.0.1:8200), got "${value}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(variable, `port ${port} is out of range (0-65535)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function parseUrl(env: Env, variable: string, protocols: string[]): string | undefined {
  const value = env[variable];
  if (value === undefined || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(variable, `expected a ${protocols.join(' or ')} URL, got ${url.protocol}`);
  }
  return value;
}

/**
 * The Redis URL's path names a database: nothing or a whole number. Whether the server has
 * that many databases only the server can say; connectRedis asks it at start-up.
 */
function parseRedisUrl(env: Env, cluster: boolean): string | undefined {
  const value = parseUrl(env, 'LESSOR_REDIS_URL', ['redis:', 'rediss:']);
  if (value === undefined) return undefined;
  const db = new URL(value).pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,9}$/.test(db)) {
    throw new ConfigError('LESSOR_REDIS_URL', `the path must be a database number (for example /0), got "/${db}"`);
  }
  if (cluster && db !== '' && Number(db) !== 0) {
    throw new ConfigError('LESSOR_REDIS_URL', `Redis Cluster has only database 0, got /${db}`);
  }
  return value;
}

function parseBool(env: Env, variable: string, fallback: boolean): boolean {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(variable, `expected true or false, got "${value}"`);
}

function parsePositiveInt(env: Env, variable: string, fallback: number): number {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0) {
    throw new ConfigError(variable, `expected a positive whole number, got "${value}"`);
  }
  return Number(value);
}

function parseMasterKey(env: Env): string | undefined {
  const value = env.LESSOR_MASTER_KEY;
  if (value === undefined || value === '') return undefined;
  if (Buffer.from(value, 'base64').length !== 32) {
    throw new ConfigError('LESSOR_MASTER_KEY', 'expected base64 of exactly 32 bytes');
  }
  return value;
}

export function loadConfig(mode: 'server' | 'dev', env: Env = process.env): Readonly<LessorConfig> {
  const logLevel = (env.LESSOR_LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LESSOR_LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const prefix = env.LESSOR_REDIS_PREFIX ?? 'lessor';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(prefix)) {
    throw new ConfigError('LESSOR_REDIS_PREFIX', 'use 1-64 letters, digits, ":", "_", "." or "-"');
  }
  const redisCluster = parseBool(env, 'LESSOR_REDIS_CLUSTER', false);
  const config: LessorConfig = {
    mode,
    listen: parseListen(env.LESSOR_LISTEN || '127.0.0.1:8200'),
    databaseUrl: parseUrl(env, 'LESSOR_DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: parseRedisUrl(env, redisCluster),
    redisCluster,
    redisPrefix: prefix,
    dataDir: env.LESSOR_DATA_DIR || './.lessor-data',
    logLevel,
    masterKey: parseMasterKey(env),
    auditFile: env.LESSOR_AUDIT_FILE || undefined,
    auditStdout: parseBool(env, 'LESSOR_AUDIT_STDOUT', false),
    rootToken: env.LESSOR_ROOT_TOKEN || (mode === 'dev' ? env.LESSOR_DEV_ROOT_TOKEN : undefined) || undefined,
    reaperIntervalMs: parsePositiveInt(env, 'LESSOR_REAPER_INTERVAL_MS', 250),
    devExitRevokeMs: parsePositiveInt(env, 'LESSOR_DEV_EXIT_REVOKE_MS', 10_000),
  };
  if (mode === 'server') {
    if (!config.redisUrl) throw new ConfigError('LESSOR_REDIS_URL', 'is required by `lessor server` (leases live in Redis)');
    if (!config.masterKey) throw new ConfigError('LESSOR_MASTER_KEY', 'is required by `lessor server` (base64 of 32 bytes)');
  }
  return Object.freeze(config);
}
