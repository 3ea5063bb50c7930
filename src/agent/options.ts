/**
 * What `lessor agent` was asked to do, already parsed and checked. src/cli/agent.ts turns
 * flags and LESSOR_ADDR/VAULT_ADDR into this; everything in src/agent/ works from it alone.
 */
export type AgentAuth =
  | { kind: 'approle'; roleIdFile: string; secretIdFile: string; removeSecretIdFile: boolean; secretIdWrapped?: boolean }
  | { kind: 'jwt'; jwtFile: string; role: string }
  | { kind: 'token'; token: string };

export type OutputFormat = { kind: 'env' } | { kind: 'json' } | { kind: 'template'; file: string };

export interface SecretSpec {
  /** API path, e.g. database/creds/app. */
  path: string;
  /** Output file; its state file lives beside it. */
  file: string;
}

export interface AgentOptions {
  address: string;
  auth: AgentAuth;
  secrets: SecretSpec[];
  format: OutputFormat;
  once: boolean;
  /** With --once: give up (exit non-zero) when lessor has not answered within this time. */
  timeoutMs: number;
  execOnChange?: string;
  signal?: NodeJS.Signals;
  pid?: number;
  pidFile?: string;
  revokeOnExit: boolean;
  /** How long an old lease stays alive after its replacement was written. */
  graceMs: number;
  metricsListen?: { host: string; port: number };
  healthFile?: string;
  logLevel: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5s", "1m30s", "250ms" or plain seconds ("5") to milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    end = re.lastIndex;
  }
  if (!v || end !== v.length) throw new UsageError(`${flag}: expected a duration like 5s, 1m or 250ms, got "${value}"`);
  return Math.round(total);
}

/** `database/creds/app=/run/secrets/db.env` */
export function parseSecret(value: string): SecretSpec {
  const i = value.indexOf('=');
  const path = value.slice(0, i).trim().replace(/^\/+|\/+$/g, '').replace(/^v1\//, '');
  const file = value.slice(i + 1).trim();
  if (i <= 0 || !path || !file) throw new UsageError(`--secret: expected <path>=<file>, got "${value}"`);
  return { path, file };
}

export function parseFormat(value: string): OutputFormat {
  if (value === 'env' || value === 'json') return { kind: value };
  if (value.startsWith('template:') && value.length > 'template:'.length) return { kind: 'template', file: value.slice('template:'.length) };
  throw new UsageError(`--format: expected env, json or template:<file>, got "${value}"`);
}

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(value.trim());
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--metrics-listen: expected host:port, got "${value}"`);
  return { host: m[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

export function parseSignal(value: string): NodeJS.Signals {
  const name = (value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`) as NodeJS.Signals;
  if (!/^SIG[A-Z0-9]+$/.test(name)) throw new UsageError(`--signal: not a signal name: "${value}"`);
  return name;
}
