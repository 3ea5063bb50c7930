import { Command, Option } from 'commander';
import { pino, type Logger } from 'pino';
import { Agent } from '../agent/agent.js';
import {
  parseDuration, parseFormat, parseListen, parseSecret, parseSignal, UsageError,
  type AgentAuth, type AgentOptions,
} from '../agent/options.js';

interface Flags {
  address?: string;
  roleIdFile?: string;
  secretIdFile?: string;
  secretIdWrapped?: boolean;
  removeSecretIdFile?: boolean;
  jwtFile?: string;
  jwtRole?: string;
  secret: string[];
  format: string;
  once?: boolean;
  timeout: string;
  execOnChange?: string;
  signal?: string;
  pid?: string;
  pidFile?: string;
  revokeOnExit?: boolean;
  grace: string;
  metricsListen?: string;
  healthFile?: string;
  logLevel: string;
}

/** `lessor agent`: the sidecar's flags; the agent itself is src/agent/. */
export function agentCommand(): Command {
  return new Command('agent')
    .description('authenticate, fetch secrets into files, keep their leases renewed, rotate and signal the app')
    .option('--address <url>', 'lessor address (default: LESSOR_ADDR, then VAULT_ADDR)')
    .option('--role-id-file <file>', 'AppRole role ID file')
    .option('--secret-id-file <file>', 'AppRole secret ID file')
    .option('--remove-secret-id-file', 'delete the secret ID file after the first login')
    .option('--secret-id-wrapped', 'the secret ID file holds a response-wrapping token: unwrap it once (checking it came from a secret-id request)')
    .option('--jwt-file <file>', 'JWT file, re-read at every login (e.g. a projected service account token)')
    .option('--jwt-role <role>', 'role for JWT login')
    .option('--secret <path=file>', 'secret path and output file (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .option('--format <format>', 'env | json | template:<file>', 'env')
    .option('--once', 'fetch, write and exit (init containers)')
    .option('--timeout <duration>', 'with --once: give up when lessor has not answered in time', '30s')
    .option('--exec-on-change <command>', 'run this (sh -c) after credentials change')
    .option('--signal <name>', 'send this signal to --pid/--pid-file after credentials change (default HUP)')
    .option('--pid <pid>', 'process to signal')
    .option('--pid-file <file>', 'file holding the pid to signal (re-read each time)')
    .option('--revoke-on-exit', 'revoke every lease on SIGTERM/SIGINT')
    .option('--grace <duration>', 'keep the old lease this long after writing new credentials', '5s')
    .option('--metrics-listen <host:port>', 'serve /metrics (Prometheus) and /health')
    .option('--health-file <file>', 'rewrite this file after every successful fetch or renewal')
    .addOption(new Option('--log-level <level>', 'log level').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .action(runAgentCommand);
}

/** The one place the agent reads the environment (LESSOR_ADDR, VAULT_ADDR, LESSOR_TOKEN, VAULT_TOKEN). */
export function agentOptions(f: Flags, env: NodeJS.ProcessEnv = process.env): AgentOptions {
  const address = f.address ?? env.LESSOR_ADDR ?? env.VAULT_ADDR;
  if (!address) throw new UsageError('no address: pass --address or set LESSOR_ADDR');
  try {
    new URL(address);
  } catch {
    throw new UsageError(`--address: not a URL: "${address}"`);
  }
  let auth: AgentAuth;
  if (f.roleIdFile || f.secretIdFile) {
    if (!f.roleIdFile || !f.secretIdFile) throw new UsageError('AppRole login needs both --role-id-file and --secret-id-file');
    auth = { kind: 'approle', roleIdFile: f.roleIdFile, secretIdFile: f.secretIdFile, removeSecretIdFile: Boolean(f.removeSecretIdFile), secretIdWrapped: Boolean(f.secretIdWrapped) };
  } else if (f.jwtFile || f.jwtRole) {
    if (!f.jwtFile || !f.jwtRole) throw new UsageError('JWT login needs both --jwt-file and --jwt-role');
    auth = { kind: 'jwt', jwtFile: f.jwtFile, role: f.jwtRole };
  } else if (env.LESSOR_TOKEN ?? env.VAULT_TOKEN) {
    auth = { kind: 'token', token: (env.LESSOR_TOKEN ?? env.VAULT_TOKEN)! };
  } else {
    throw new UsageError('no credentials: pass --role-id-file/--secret-id-file or --jwt-file/--jwt-role');
  }
  if (f.secret.length === 0) throw new UsageError('nothing to fetch: pass at least one --secret <path>=<file>');
  const secrets = f.secret.map(parseSecret);
  const files = new Set(secrets.map((s) => s.file));
  if (files.size !== secrets.length) throw new UsageError('--secret: two secrets write the same file');
  let pid: number | undefined;
  if (f.pid !== undefined) {
    pid = Number(f.pid);
    if (!Number.isInteger(pid) || pid <= 0) throw new UsageError(`--pid: not a process id: "${f.pid}"`);
  }
  if (f.signal && pid === undefined && !f.pidFile) throw new UsageError('--signal needs --pid or --pid-file');
  return {
    address, auth, secrets,
    format: parseFormat(f.format),
    once: Boolean(f.once),
    timeoutMs: parseDuration('--timeout', f.timeout),
    execOnChange: f.execOnChange,
    signal: f.signal || pid !== undefined || f.pidFile ? parseSignal(f.signal ?? 'HUP') : undefined,
    pid, pidFile: f.pidFile,
    revokeOnExit: Boolean(f.revokeOnExit),
    graceMs: parseDuration('--grace', f.grace),
    metricsListen: f.metricsListen ? parseListen(f.metricsListen) : undefined,
    healthFile: f.healthFile,
    logLevel: f.logLevel,
  };
}

function agentLogger(level: string): Logger {
  // stderr, synchronously: the last line before process.exit must not be lost. The redaction is
  // a second line of defence; the agent never puts credentials into log objects to begin with.
  return pino({ name: 'lessor-agent', level, redact: { paths: ['password', '*.password', 'token', '*.token', 'secret_id', '*.secret_id'], censor: '[redacted]' } },
    pino.destination({ fd: 2, sync: true }));
}

async function runAgentCommand(f: Flags): Promise<void> {
  let opts: AgentOptions;
  try {
    opts = agentOptions(f);
  } catch (err) {
    return exit(1, err);
  }
  const log = agentLogger(opts.logLevel);
  const agent = new Agent(opts, log);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, revoke: opts.revokeOnExit }, 'stopping');
    void agent.stop(opts.revokeOnExit).then(() => process.exit(0), (err) => exit(1, err));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await agent.start();
  } catch (err) {
    await agent.stop(false).catch(() => {});
    return exit(1, err);
  }
  if (opts.once) {
    await agent.stop(false);
    process.exit(0);
  }
  // Sidecar: run until SIGTERM/SIGINT, even when no lease timer is pending (a secret with no lease).
  setInterval(() => {}, 1 << 30);
}

function exit(code: number, err: unknown): never {
  process.stderr.write(`lessor agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(code);
}
