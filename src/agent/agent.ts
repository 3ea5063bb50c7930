import { readFile, rm } from 'node:fs/promises';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { LessorClient } from '../client/client.js';
import { isTransient } from '../client/errors.js';
import type { LessorClientOptions } from '../client/types.js';
import { AgentHealth } from './health.js';
import { Notifier } from './notify.js';
import type { AgentOptions } from './options.js';
import { SecretKeeper } from './secret.js';
import { unwrapSecretId } from './unwrap.js';

export class StartupTimeout extends Error {
  constructor(timeoutMs: number, last: unknown) {
    super(`gave up after ${timeoutMs / 1000}s: ${last instanceof Error ? last.message : 'lessor did not answer'}`);
    this.name = 'StartupTimeout';
  }
}

/**
 * The sidecar: one LessorClient (auto-auth), one SecretKeeper per --secret, a Notifier for the
 * app, and health reporting. Process concerns (signals, exit codes) stay in src/cli/agent.ts.
 */
export class Agent {
  readonly client: LessorClient;
  readonly keepers: SecretKeeper[];
  readonly notifier: Notifier;
  readonly health: AgentHealth;
  metricsUrl: string | undefined;

  constructor(private readonly opts: AgentOptions, private readonly log: Logger) {
    this.client = new LessorClient(clientOptions(opts));
    const auth = opts.auth;
    if (auth.kind === 'approle' && auth.removeSecretIdFile) {
      // Once logged in, the secret ID has done its job; left on disk it only helps an attacker.
      this.client.once('login', () => void rm(auth.secretIdFile, { force: true }).then(() => log.info('secret ID file removed')));
    }
    this.client.on('login', ({ accessor, ttl }) => log.info({ accessor, ttl }, 'logged in'));
    this.client.on('tokenRenewed', ({ accessor, ttl }) => log.info({ accessor, ttl }, 'token renewed'));
    this.client.on('authError', (err) => log.warn({ err: err.message }, 'token renewal or login failed'));
    this.notifier = new Notifier(opts, log);
    this.health = new AgentHealth(opts.healthFile);
    const deps = { client: this.client, format: opts.format, notifier: this.notifier, health: this.health, log, graceMs: opts.graceMs };
    this.keepers = opts.secrets.map((spec) => new SecretKeeper(spec, deps));
  }

  /**
   * Logs in and puts every secret on disk. Lessor being unreachable (or answering 503) is
   * retried with backoff and jitter — until --timeout with --once, forever otherwise; any other
   * refusal (bad secret ID, no permission) fails at once.
   */
  async start(): Promise<void> {
    if (this.opts.metricsListen) {
      this.metricsUrl = await this.health.listen(this.opts.metricsListen.host, this.opts.metricsListen.port);
      this.log.info({ url: this.metricsUrl }, 'metrics listening');
    }
    let last: unknown;
    const attempt = async () => {
      for (const k of this.keepers) if (!k.current) await k.start();
    };
    const retrying = pRetry(attempt, {
      retries: Infinity,
      factor: 2,
      minTimeout: 250,
      maxTimeout: 30_000,
      randomize: true,
      maxRetryTime: this.opts.once ? this.opts.timeoutMs : undefined,
      shouldRetry: ({ error }) => isTransient(error),
      onFailedAttempt: ({ error, attemptNumber }) => {
        last = error;
        if (isTransient(error)) this.log.warn({ attempt: attemptNumber, err: error.message }, 'lessor unavailable, retrying');
      },
    });
    if (!this.opts.once) return retrying;
    // A request can hang past the deadline (a black-holed address): the deadline wins regardless.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StartupTimeout(this.opts.timeoutMs, last)), this.opts.timeoutMs);
    });
    try {
      await Promise.race([retrying, deadline]);
    } catch (err) {
      throw isTransient(err) ? new StartupTimeout(this.opts.timeoutMs, err) : err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops all background work; with revoke (--revoke-on-exit), revokes every lease first. */
  async stop(revoke: boolean): Promise<void> {
    await Promise.all(this.keepers.map((k) => k.stop(revoke)));
    await this.notifier.flush();
    await this.health.close();
    this.client.close();
  }
}

function clientOptions(opts: AgentOptions): LessorClientOptions {
  const common = { address: opts.address, retry: { retries: 2 } };
  const a = opts.auth;
  if (a.kind === 'token') return { ...common, token: a.token };
  if (a.kind === 'jwt') return { ...common, jwt: { role: a.role, path: a.jwtFile } };
  let remembered: string | undefined;
  const secretId = async () => {
    // A wrapping token has one use: unwrap it at the first login and keep what it held.
    if (a.secretIdWrapped) {
      remembered ??= await unwrapSecretId(opts.address, (await readFile(a.secretIdFile, 'utf8')).trim());
      return remembered;
    }
    try {
      remembered = (await readFile(a.secretIdFile, 'utf8')).trim();
    } catch (err) {
      // Removed after the first login (--remove-secret-id-file): later logins reuse the value read then.
      if (remembered === undefined) throw new Error(`cannot read --secret-id-file: ${(err as Error).message}`);
    }
    return remembered!;
  };
  const roleId = async () => (await readFile(a.roleIdFile, 'utf8')).trim();
  return { ...common, approle: { roleId, secretId } };
}
