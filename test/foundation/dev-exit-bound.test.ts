// The revocation at `lessor dev`'s exit is bounded: a target that hangs or refuses costs at
// most the configured time, and what was left is counted as failed, not as revoked.
import t from 'tap';
import { revokeOnExit } from '../../src/cli/revoke-on-exit.js';
import { fakeSetup } from '../leases/fake-setup.js';

t.test('revocation at exit counts failures and gives up after its time bound', async (t) => {
  const f = await fakeSetup(t, { devMode: true });
  const cfg = await f.tr.call('POST', 'fake/config/slow', { body: { plugin_name: 'fake', connection_url: f.targetUrl, allowed_roles: ['*'], revoke_delay_ms: 4000 } });
  t.equal(cfg.status, 204);
  t.equal((await f.tr.call('POST', 'fake/roles/slow', { body: { db_name: 'slow' } })).status, 204);
  await f.role('broken', { fail_revokes: -1 });

  const good = [];
  for (let i = 0; i < 3; i++) good.push((await f.tr.call('GET', 'fake/creds/app')).body);
  const broken = (await f.tr.call('GET', 'fake/creds/broken')).body;
  const slow = (await f.tr.call('GET', 'fake/creds/slow')).body;
  t.ok([...good, broken, slow].every((c) => typeof c.lease_id === 'string'), 'five leases issued');

  const started = Date.now();
  const result = await revokeOnExit(f.tr.rt, { timeoutMs: 1000 });
  const elapsed = Date.now() - started;
  t.ok(elapsed < 3000, `bounded by its timeout (${elapsed} ms)`);
  t.equal(result.revoked, 3, 'the three healthy leases are revoked');
  t.same(result.failed.sort(), [broken.lease_id, slow.lease_id].sort(), 'the refused and the hanging one are reported as failed');
  for (const c of good) t.equal(await f.count('revoke', c.data.username), 1, 'revoked in the target');
});
