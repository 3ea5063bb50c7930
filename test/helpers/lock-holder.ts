// Races made to happen: the test takes a PostgreSQL lock in a transaction of its own, starts the
// requests that race, and lets go only once all of them wait on it.
import type { TestRuntime } from './test-runtime.js';
import { until } from '../leases/fake-setup.js';

async function lockWaiters(tr: TestRuntime): Promise<number> {
  const { rows } = await tr.rt.sql.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
  return Number(rows[0].n);
}

/**
 * Takes a lock in a transaction of the test's own, starts the writes, and lets go once all of
 * them wait on it (true) or 10 s have passed (false).
 */
export async function whileHolding(tr: TestRuntime, lockSql: string, params: unknown[], start: () => Promise<unknown>[]): Promise<boolean> {
  let letGo!: () => void;
  const held = new Promise<void>((r) => (letGo = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = tr.rt.sql.transaction(async (tx) => {
    await tx.query(lockSql, params);
    locked();
    await held;
  });
  await Promise.race([isLocked, holder]);
  const n = start().length;
  const waiting = await until(async () => (await lockWaiters(tr)) >= n, 10_000, 10);
  letGo();
  await holder;
  return waiting;
}
