// Two replicas of one install: a config written on one re-initialises the engine on the other,
// secret keys agree even when made concurrently, and a scheduled plugin job runs exactly once.
import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';
import { FAKE_DIR, fakeSetup } from '../leases/fake-setup.js';

t.test('replicas share configs, secret keys, engine state and jobs', async (t) => {
  const f = await fakeSetup(t);
  const a = f.tr;
  const b = await testRuntime(t, { shareWith: a, runtime: { pluginDirs: [FAKE_DIR] } });

  t.equal((await b.call('GET', 'fake/creds/app')).status, 200, 'replica b issues from the config written on a');
  let r = await a.call('POST', 'fake/config/main', { body: { plugin_name: 'fake', allowed_roles: ['someone-else'] } });
  t.equal(r.status, 204, 'an update may omit fields it does not change (connection_url is kept)');
  r = await b.call('GET', 'fake/creds/app');
  t.equal(r.status, 400, "b sees a's change at once: its cached instance was re-initialised");
  t.match(r.body.errors[0], /not allowed/);
  const stored = await b.rt.engines.repo.readConfig('fake', 'main');
  t.equal(stored?.config.connection_url, f.targetUrl, 'the secret survived the update');

  const plugin = a.rt.engines.pluginFor('fake')!;
  const keys = await Promise.all([a, b, a, b].map((x) => x.rt.engines.ctx('fake', plugin).secretKey('hmac')));
  t.equal(keys[0].length, 32);
  t.ok(keys.every((k) => k.equals(keys[0])), 'one secret key for every replica, even when made concurrently');
  t.notOk((await a.rt.engines.ctx('fake', plugin).secretKey('other')).equals(keys[0]), 'one per name');

  await a.rt.engines.ctx('fake', plugin).state.set('k', { v: 1 });
  t.same(await b.rt.engines.ctx('fake', plugin).state.get('k'), { v: 1 }, 'engine state is shared');

  const sealed = await a.rt.engines.ctx('fake', plugin).seal(Buffer.from('s3cret'));
  t.equal((await b.rt.engines.ctx('fake', plugin).open(sealed)).toString(), 's3cret');

  const now = Date.now();
  await a.rt.engines.api('fake', plugin).schedule('rotate:main', now - 1);
  await b.rt.engines.api('fake', plugin).schedule('rotate:main', now - 1);
  await a.rt.engines.api('fake', plugin).schedule('never', now - 1);
  await a.rt.engines.api('fake', plugin).unschedule('never');
  await Promise.all([a.rt.reaper.runOnce(), b.rt.reaper.runOnce(), a.rt.reaper.runOnce(), b.rt.reaper.runOnce()]);
  await Promise.all([a.rt.reaper.runOnce(), b.rt.reaper.runOnce()]);
  t.equal(await f.count('job', 'rotate:main'), 1, 'a scheduled job runs exactly once across replicas');
  t.equal(await f.count('job', 'never'), 0, 'an unscheduled job does not run');
});

t.test('a role written or deleted on one replica applies to the next creds request on another', async (t) => {
  const f = await fakeSetup(t);
  const a = f.tr;
  const b = await testRuntime(t, { shareWith: a, runtime: { pluginDirs: [FAKE_DIR] } });
  // b has read (and keeps) the role and the config before the changes.
  let r = await b.call('GET', 'fake/creds/app');
  t.equal(r.body.lease_duration, 60, 'b issues with the role as first written');

  t.equal((await a.call('POST', 'fake/roles/app', { body: { db_name: 'main', default_ttl: 90, max_ttl: 600 } })).status, 204);
  r = await b.call('GET', 'fake/creds/app');
  t.equal(r.body.lease_duration, 90, "b's next credential follows the role rewritten on a");

  t.equal((await a.call('DELETE', 'fake/roles/app')).status, 204);
  r = await b.call('GET', 'fake/creds/app');
  t.equal(r.status, 400, 'and a role deleted on a is gone on b at once');
  t.match(r.body.errors.join(' '), /unknown role: app/);

  t.equal((await a.call('POST', 'fake/roles/app', { body: { db_name: 'main', default_ttl: 90, max_ttl: 600 } })).status, 204);
  t.equal((await b.call('GET', 'fake/creds/app')).status, 200, 'a role written again on a is there on b');
  t.equal((await a.call('DELETE', 'fake/config/main')).status, 204);
  r = await b.call('GET', 'fake/creds/app');
  t.equal(r.status, 404, 'a config deleted on a is gone on b at once');
});
