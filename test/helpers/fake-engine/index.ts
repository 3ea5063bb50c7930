// A secrets engine for tests only: every issue, renew and revoke is a row in PostgreSQL, so a
// test can count revocations exactly, even across processes. A role can make revocation fail
// N times (fail_revokes: N), always (-1), or for good (unrecoverable), and a config can make it
// slow (revoke_delay_ms) to kill a reaper mid-batch.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  durationSchema, parseDuration, unavailableError, unrecoverableError, upstreamError,
  type EngineContext, type EnginePlugin, type SecretsEngine,
} from '../../../plugins/sdk/index.js';

export interface FakeConfig {
  connection_url: string;
  allowed_roles?: string[] | string;
  revoke_delay_ms?: number;
  password?: string;
  /** A config write (verify_connection) waits until the test inserts a 'release' row: race it. */
  write_wait_release?: boolean;
  /** rotate-root waits the same way, after reading its config. */
  rotate_wait_release?: boolean;
}

export interface FakeRole {
  db_name: string;
  default_ttl?: number | string;
  max_ttl?: number | string;
  fail_revokes?: number;
  unrecoverable?: boolean;
  fail_issue?: boolean;
  /** Creation waits until the test inserts a 'release' row: revoke a lease while its credential is being made. */
  issue_wait_release?: boolean;
}

export const FAKE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS fake_events (
  id bigserial PRIMARY KEY, kind text NOT NULL, credential_id text NOT NULL, lease_id text, pid integer,
  at timestamptz NOT NULL DEFAULT now())`;

/** Revocations running right now in this process, and the most seen at once (concurrency bounds). */
export const inFlight = { now: 0, max: 0 };

class FakeEngine implements SecretsEngine<FakeConfig, FakeRole> {
  private pool?: pg.Pool;
  private config?: FakeConfig;

  async initialize(req: { config: FakeConfig; verifyConnection: boolean }): Promise<{ config: FakeConfig }> {
    this.config = req.config;
    this.pool = new pg.Pool({ connectionString: req.config.connection_url, max: 8 });
    this.pool.on('error', () => {});
    if (req.verifyConnection && req.config.write_wait_release) {
      await this.record('write_waiting', 'config');
      await this.released();
    }
    if (req.verifyConnection) {
      try {
        await this.pool.query('SELECT 1');
      } catch (err) {
        // Deliberately echoes the URL: the core must scrub it before anyone sees it.
        throw unavailableError(`cannot reach ${req.config.connection_url}: ${(err as Error).message}`);
      }
    }
    return { config: req.config };
  }

  /**
   * Until the test inserts a 'release' row (30 s at most). On a connection of its own: a config
   * write meanwhile closes this instance's pool.
   */
  private async released() {
    const c = new pg.Client({ connectionString: this.config!.connection_url });
    await c.connect();
    try {
      for (let i = 0; i < 1500; i++) {
        const { rowCount } = await c.query("SELECT 1 FROM fake_events WHERE kind = 'release'");
        if (rowCount) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await c.end();
    }
  }

  private async record(kind: string, credentialId: string, leaseId?: string) {
    // pid: which process (reaper replica) did it.
    await this.pool!.query('INSERT INTO fake_events (kind, credential_id, lease_id, pid) VALUES ($1, $2, $3, $4)',
      [kind, credentialId, leaseId ?? null, process.pid]);
  }

  credentialId(req: { leaseId: string }): string {
    return `fake_${req.leaseId.split('/').pop()!.toLowerCase()}`;
  }

  async newCredential(req: { credentialId: string; leaseId: string; role: FakeRole }) {
    if (req.role.issue_wait_release) await this.released();
    if (req.role.fail_issue) throw upstreamError(`issue failed for ${req.credentialId} on ${this.config!.connection_url}`);
    await this.record('issue', req.credentialId, req.leaseId);
    const password = randomBytes(12).toString('hex');
    return { data: { username: req.credentialId, password }, internal: { password } };
  }

  async updateCredential(req: { credentialId: string }) {
    await this.record('renew', req.credentialId);
  }

  async deleteCredential(req: { credentialId: string; role: FakeRole; internal?: Record<string, unknown> }, _ctx: EngineContext) {
    inFlight.max = Math.max(inFlight.max, ++inFlight.now);
    try {
      await this.revoke(req);
    } finally {
      inFlight.now--;
    }
  }

  private async revoke(req: { credentialId: string; role: FakeRole; internal?: Record<string, unknown> }) {
    const delay = this.config!.revoke_delay_ms ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const n = req.role.fail_revokes ?? 0;
    if (n !== 0) {
      const { rows } = await this.pool!.query<{ c: string }>(
        "SELECT count(*) AS c FROM fake_events WHERE kind = 'revoke_failed' AND credential_id = $1", [req.credentialId]);
      if (n < 0 || Number(rows[0].c) < n) {
        await this.record('revoke_failed', req.credentialId);
        const msg = `cannot drop ${req.credentialId} (password ${String(req.internal?.password)}) via ${this.config!.connection_url}`;
        throw req.role.unrecoverable ? unrecoverableError(msg) : upstreamError(msg);
      }
    }
    await this.record('revoke', req.credentialId);
  }

  async rotateRoot(): Promise<{ config: FakeConfig }> {
    if (this.config!.rotate_wait_release) {
      await this.record('rotate_waiting', 'config');
      await this.released();
    }
    return { config: { ...this.config!, password: randomBytes(16).toString('hex') } };
  }

  async *listCredentials(): AsyncIterable<string> {
    const { rows } = await this.pool!.query<{ credential_id: string }>(
      "SELECT credential_id FROM fake_events WHERE kind = 'issue' EXCEPT SELECT credential_id FROM fake_events WHERE kind = 'revoke'");
    for (const r of rows) yield r.credential_id;
  }

  async close(): Promise<void> {
    await this.pool?.end().catch(() => {});
  }
}

const seconds = (v: number | string | undefined, f: string) => (v === undefined ? undefined : parseDuration(v, f));

const plugin: EnginePlugin<FakeConfig, FakeRole> = {
  type: 'fake',
  aliases: ['fake-database-plugin'],
  mount: {
    path: 'fake', configPath: 'config', pluginField: 'plugin_name', rolesPath: 'roles', credsPath: 'creds',
    roleConfigField: 'db_name', allowedRolesField: 'allowed_roles',
  },
  configSchema: {
    type: 'object', additionalProperties: false, required: ['connection_url'],
    properties: {
      connection_url: { type: 'string', minLength: 1 },
      allowed_roles: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] },
      revoke_delay_ms: { type: 'integer', minimum: 0 },
      password: { type: 'string' },
      write_wait_release: { type: 'boolean' },
      rotate_wait_release: { type: 'boolean' },
    },
  },
  roleSchema: {
    type: 'object', additionalProperties: false, required: ['db_name'],
    properties: {
      db_name: { type: 'string' }, default_ttl: durationSchema, max_ttl: durationSchema,
      fail_revokes: { type: 'integer', minimum: -1 }, unrecoverable: { type: 'boolean' }, fail_issue: { type: 'boolean' },
      issue_wait_release: { type: 'boolean' },
    },
  },
  secretConfigPaths: ['connection_url', 'password'],
  readableConfigFields: ['allowed_roles', 'revoke_delay_ms', 'connection_url'],
  roleTtl: (role) => ({ ttl: seconds(role.default_ttl, 'default_ttl'), maxTtl: seconds(role.max_ttl, 'max_ttl') }),
  create: () => new FakeEngine(),
  // Jobs record themselves, so tests can check a scheduled job ran exactly once across replicas.
  async runJob(jobId, api) {
    const cfg = await api.readConfig('main');
    const c = new pg.Client({ connectionString: String(cfg?.connection_url) });
    await c.connect();
    try {
      await c.query("INSERT INTO fake_events (kind, credential_id, pid) VALUES ('job', $1, $2)", [jobId, process.pid]);
    } finally {
      await c.end();
    }
  },
  routes: [
    {
      method: 'GET', path: 'stats/:name',
      handler: async (req, api) => {
        const cfg = await api.readConfig(req.params.name);
        if (!cfg) return { status: 204 };
        const c = new pg.Client({ connectionString: String(cfg.connection_url) });
        await c.connect();
        try {
          const { rows } = await c.query<{ kind: string; n: string }>('SELECT kind, count(*) AS n FROM fake_events GROUP BY kind');
          return { data: Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)])) };
        } finally {
          await c.end();
        }
      },
    },
  ],
};

export default plugin;
