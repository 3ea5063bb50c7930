// A short slice of the chaos run (`npm run chaos` is the full one): three `lessor server`
// replicas under issue/renew/revoke/abandon load on PostgreSQL and MariaDB while a replica and
// Redis are killed with SIGKILL and each target is stopped. No credential may die while its
// lease is live, outlive its lease past the grace, or be left in a target; no answer may be a 500.
import t from 'tap';
import { FULL_RUN, runChaos } from './scenario.js';

t.setTimeout(300_000);

t.test('chaos slice: no early revocation, lost lease, orphan or 500 through the faults', async (t) => {
  const seed = Number(process.env.LESSOR_CHAOS_SEED ?? 20261207);
  const summary = await runChaos(t, {
    ...FULL_RUN, seed, durationMs: 40_000, defaultTtlSec: 4, maxTtlSec: 12, outageMs: 5000, slotsPerEngine: 6, burstSize: 8,
  });
  t.comment(summary.text);
  t.equal(summary.early, 0, 'no credential refused while its lease was live');
  t.equal(summary.lost, 0, 'no lease gone before its expiry, no credential working past its end + grace');
  t.equal(summary.orphans, 0, 'no user left in a target without a live lease');
  t.equal(summary.http500, 0, 'no answer was a 500');
  t.equal(summary.hangs, 0, 'every request answered within 15 s');
});
