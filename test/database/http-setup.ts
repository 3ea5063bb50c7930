// A whole lessor runtime (real config store and Redis) with a database mount pointing at a
// fixture's target, for the end-to-end tests of the postgres and mysql engines.
import type { Test } from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';
import { pgFixture, type PgFixture } from './pg-fixture.js';
import { mariadbFixture, type MariadbFixture } from './mariadb-fixture.js';

export function manualClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

export interface DbHttp<F> {
  tr: TestRuntime;
  fx: F;
  clock: ReturnType<typeof manualClock>;
  /** GET database/creds/:role, failing the test on anything but 200. */
  creds(role: string): Promise<{ lease_id: string; lease_duration: number; renewable: boolean; data: { username: string; password: string } }>;
}

async function mount<F extends { config: Record<string, unknown> }>(t: Test, fx: F, configName: string, roles: Record<string, unknown>): Promise<DbHttp<F>> {
  const clock = manualClock();
  const tr = await testRuntime(t, { runtime: { clock: clock.now } });
  const cfg = await tr.call('POST', `database/config/${configName}`, { body: { ...fx.config, allowed_roles: ['*'] } });
  if (cfg.status !== 204) throw new Error(`config: ${cfg.status} ${JSON.stringify(cfg.body)}`);
  for (const [name, role] of Object.entries(roles)) {
    const r = await tr.call('POST', `database/roles/${name}`, { body: { ...(role as object), db_name: configName } });
    if (r.status !== 204) throw new Error(`role ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const creds: DbHttp<F>['creds'] = async (role) => {
    const res = await tr.call('GET', `database/creds/${role}`);
    if (res.status !== 200) throw new Error(`creds: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return { tr, fx, clock, creds };
}

export async function pgHttp(t: Test): Promise<DbHttp<PgFixture>> {
  const fx = await pgFixture(t);
  return mount(t, fx, 'pg', { reader: fx.groupRole });
}

export async function mariadbHttp(t: Test): Promise<DbHttp<MariadbFixture>> {
  const fx = await mariadbFixture(t);
  return mount(t, fx, 'maria', { reader: fx.role });
}
