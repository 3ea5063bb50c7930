// Shared setup for lease tests: a runtime with the fake engine mounted at fake/, its target
// database (where the engine records every issue and revoke), one config and a role.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Test } from 'tap';
import type { LeaseTuning } from '../../src/leases/index.js';
import { freshPgDatabase } from '../helpers/context.js';
import { FAKE_TABLE_SQL } from '../helpers/fake-engine/index.js';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

export const FAKE_DIR = fileURLToPath(new URL('../helpers/fake-engine/', import.meta.url));

export interface FakeSetup {
  tr: TestRuntime;
  targetUrl: string;
  /** Rows the fake engine wrote, by kind ('issue', 'revoke', 'revoke_failed', 'renew'). */
  count(kind: string, credentialId?: string): Promise<number>;
  /** Per credential, how many revoke rows (exactly-once checks). */
  revokesPerCredential(): Promise<Map<string, number>>;
  role(name: string, body?: Record<string, unknown>): Promise<void>;
}

export async function fakeSetup(t: Test, opts: {
  tuning?: LeaseTuning; background?: boolean; clock?: () => number; env?: Record<string, string>; config?: Record<string, unknown>; devMode?: boolean;
} = {}): Promise<FakeSetup> {
  const targetUrl = await freshPgDatabase(t);
  const db = new pg.Pool({ connectionString: targetUrl, max: 2 });
  t.teardown(() => db.end());
  await db.query(FAKE_TABLE_SQL);
  const tr = await testRuntime(t, {
    background: opts.background, env: opts.env, devMode: opts.devMode,
    runtime: { pluginDirs: [FAKE_DIR], leaseTuning: opts.tuning, clock: opts.clock },
  });
  const cfg = await tr.call('POST', 'fake/config/main', { body: { plugin_name: 'fake', connection_url: targetUrl, allowed_roles: ['*'], ...opts.config } });
  if (cfg.status !== 204) throw new Error(`fake config: ${cfg.status} ${JSON.stringify(cfg.body)}`);
  const role = async (name: string, body: Record<string, unknown> = {}) => {
    const r = await tr.call('POST', `fake/roles/${name}`, { body: { db_name: 'main', default_ttl: 60, max_ttl: 600, ...body } });
    if (r.status !== 204) throw new Error(`fake role: ${r.status} ${JSON.stringify(r.body)}`);
  };
  await role('app');
  return {
    tr, targetUrl, role,
    async count(kind, credentialId) {
      const { rows } = credentialId
        ? await db.query<{ c: string }>('SELECT count(*) AS c FROM fake_events WHERE kind = $1 AND credential_id = $2', [kind, credentialId])
        : await db.query<{ c: string }>('SELECT count(*) AS c FROM fake_events WHERE kind = $1', [kind]);
      return Number(rows[0].c);
    },
    async revokesPerCredential() {
      const { rows } = await db.query<{ credential_id: string; c: string }>(
        "SELECT credential_id, count(*) AS c FROM fake_events WHERE kind = 'revoke' GROUP BY credential_id");
      return new Map(rows.map((r) => [r.credential_id, Number(r.c)]));
    },
  };
}

/** Polls until cond() is true or the bound passes (no fixed sleeps). */
export async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
