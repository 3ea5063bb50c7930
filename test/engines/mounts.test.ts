// The generic engine mount: Vault-shaped config and role paths generated from a plugin's
// MountSpec, secrets sealed at rest and never returned, allowed_roles, creds, rotate-root,
// reconcile and a plugin's own routes (the fake engine mounted at fake/).
import t from 'tap';
import pg from 'pg';
import { fakeSetup, until } from '../leases/fake-setup.js';

t.test('configs: secrets sealed at rest, never read back; bad input refused', async (t) => {
  const f = await fakeSetup(t);
  const read = await f.tr.call('GET', 'fake/config/main');
  t.equal(read.status, 200);
  t.same(read.body.data, { allowed_roles: ['*'], plugin_name: 'fake' }, 'only readable fields; the connection URL is a secret path');
  const row = await f.tr.rt.sql.query<{ config: unknown; secrets: string }>("SELECT config, secrets FROM engine_configs WHERE mount = 'fake'");
  t.notMatch(JSON.stringify(row.rows[0]), f.targetUrl, 'the stored row does not hold the URL in clear');
  t.ok(row.rows[0].secrets, 'it is sealed');
  t.same((await f.tr.call('LIST', 'fake/config')).body.data.keys, ['main']);

  let r = await f.tr.call('POST', 'fake/config/other', { body: { plugin_name: 'fake', connection_url: f.targetUrl, colour: 'red' } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /unknown field "colour"/);
  r = await f.tr.call('POST', 'fake/config/other', { body: { plugin_name: 'nope', connection_url: f.targetUrl } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /unknown engine "nope"/);
  r = await f.tr.call('POST', 'fake/config/other', { body: { plugin_name: 'fake' } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /connection_url/);
  const bad = 'postgres://someone:hunter2hunter2@127.0.0.1:1/none';
  r = await f.tr.call('POST', 'fake/config/other', { body: { plugin_name: 'fake', connection_url: bad } });
  t.equal(r.status, 503, 'an unreachable target is a 503');
  t.notMatch(JSON.stringify(r.body), 'hunter2hunter2', 'the password is scrubbed from the engine error');
  t.notOk(f.tr.logLines.some((l) => l.includes('hunter2hunter2')), 'and from the log');
  r = await f.tr.call('POST', 'fake/config/other', { body: { plugin_name: 'fake-database-plugin', connection_url: bad, verify_connection: false } });
  t.equal(r.status, 204, 'an alias names the plugin; verify_connection: false skips the check');
  t.same((await f.tr.call('LIST', 'fake/config')).body.data.keys, ['main', 'other']);
  t.equal((await f.tr.call('DELETE', 'fake/config/other')).status, 204);
  t.equal((await f.tr.call('GET', 'fake/config/other')).status, 404);
});

t.test('roles: must name an existing config that allows them', async (t) => {
  const f = await fakeSetup(t, { config: { allowed_roles: ['app', 'web-*'] } });
  let r = await f.tr.call('POST', 'fake/roles/web-1', { body: { db_name: 'main' } });
  t.equal(r.status, 204, 'a trailing * in allowed_roles is a glob');
  r = await f.tr.call('POST', 'fake/roles/intruder', { body: { db_name: 'main' } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /not allowed by config "main"/);
  r = await f.tr.call('POST', 'fake/roles/lost', { body: { db_name: 'missing' } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /config "missing" does not exist/);
  r = await f.tr.call('POST', 'fake/roles/app', { body: { db_name: 'main', default_ttl: 'soon' } });
  t.equal(r.status, 400, 'a bad duration is refused');
  t.same((await f.tr.call('GET', 'fake/roles/web-1')).body.data, { db_name: 'main' });
  t.same((await f.tr.call('LIST', 'fake/roles')).body.data.keys, ['app', 'web-1']);
  const unknown = await f.tr.call('GET', 'fake/creds/nobody');
  t.equal(unknown.status, 400, 'creds for an unknown role: 400, as in Vault');
  t.match(unknown.body.errors.join(' '), /unknown role: nobody/);
});

t.test('creds by POST; deleting the role strands no lease', async (t) => {
  const f = await fakeSetup(t);
  const issued = await f.tr.call('POST', 'fake/creds/app');
  t.equal(issued.status, 200);
  t.equal(issued.body.lease_duration, 60);
  const raw = await f.tr.rt.redis!.hgetall(f.tr.rt.keys.key('lease', issued.body.lease_id));
  t.equal(raw.state, 'active');
  t.notMatch(JSON.stringify(raw), issued.body.data.password, 'the lease record never holds the password in clear');
  t.ok(raw.internal.length > 0, "the engine's internal data is kept sealed");
  t.equal((await f.tr.call('DELETE', 'fake/roles/app')).status, 204);
  t.equal((await f.tr.call('GET', 'fake/roles/app')).status, 404);
  t.equal((await f.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: issued.body.lease_id } })).status, 204);
  t.equal(await f.count('revoke', issued.body.data.username), 1, 'revoked from the copy of the role kept with the lease');

  await f.role('app');
  t.equal((await f.tr.call('DELETE', 'fake/config/main')).status, 204);
  const r = await f.tr.call('GET', 'fake/creds/app');
  t.equal(r.status, 404, "an engine's not_found (the role's config is gone) is a 404");
  t.match(r.body.errors[0], /no config named "main"/);
});

t.test('rotate-root, reconcile and a plugin route', async (t) => {
  const f = await fakeSetup(t);
  const before = await f.tr.rt.engines.repo.readConfig('fake', 'main');
  t.equal((await f.tr.call('POST', 'fake/rotate-root/main')).status, 204);
  const after = await f.tr.rt.engines.repo.readConfig('fake', 'main');
  t.ok(after!.config.password && after!.config.password !== before!.config.password, 'the new root secret is stored');
  t.ok(after!.version > before!.version, 'and the config version moved (replicas re-initialise)');

  const live = await f.tr.call('GET', 'fake/creds/app');
  const lost = await f.tr.call('GET', 'fake/creds/app');
  await f.tr.rt.leases.store.remove(lost.body.lease_id); // its lease record is lost
  const orphan = lost.body.data.username;
  const db = new pg.Client({ connectionString: f.targetUrl });
  await db.connect();
  t.teardown(() => db.end());
  // Listed by the engine, but never issued by this config: not the reconciler's.
  await db.query("INSERT INTO fake_events (kind, credential_id) VALUES ('issue', 'fake_not_ours')");
  let r = await f.tr.call('POST', 'fake/reconcile/main');
  t.equal(r.status, 200);
  t.same(r.body.data, { dry_run: true, orphans: [orphan], revoked: [] }, 'dry run by default; the live lease is not an orphan');
  t.equal(await f.count('revoke'), 0);
  r = await f.tr.call('POST', 'fake/reconcile/main', { body: { dry_run: false } });
  t.same(r.body.data, { dry_run: false, orphans: [orphan], revoked: [orphan] });
  t.equal(await f.count('revoke', orphan), 1);
  t.equal(await f.count('revoke', 'fake_not_ours'), 0);
  t.equal(await f.count('revoke', live.body.data.username), 0);

  r = await f.tr.call('GET', 'fake/stats/main');
  t.equal(r.status, 200);
  t.match(r.body.data, { issue: 3, revoke: 1 }, "the plugin's own route");
});

t.test('a config write racing a change made meanwhile (rotate-root, a key rotation) keeps that change', async (t) => {
  const f = await fakeSetup(t);
  const db = new pg.Client({ connectionString: f.targetUrl });
  await db.connect();
  t.teardown(() => db.end());
  const writing = f.tr.call('POST', 'fake/config/main', { body: { plugin_name: 'fake', allowed_roles: ['app', 'other'], write_wait_release: true } });
  t.ok(await until(async () => (await f.count('write_waiting')) === 1, 5000, 10), 'the write has read the config and is verifying it');
  t.equal((await f.tr.call('POST', 'fake/rotate-root/main')).status, 204, 'meanwhile the root credential is rotated');
  const rotated = (await f.tr.rt.engines.repo.readConfig('fake', 'main'))!.config.password;
  await db.query("INSERT INTO fake_events (kind, credential_id) VALUES ('release', '*')");
  t.equal((await writing).status, 204);
  const after = (await f.tr.rt.engines.repo.readConfig('fake', 'main'))!.config;
  t.equal(after.password, rotated, 'the rotated root credential survives the write that read the config before it');
  t.same(after.allowed_roles, ['app', 'other'], "and the write's own change is applied");
});

t.test('rotate-root racing a config write keeps the write', async (t) => {
  const f = await fakeSetup(t, { config: { rotate_wait_release: true } });
  const db = new pg.Client({ connectionString: f.targetUrl });
  await db.connect();
  t.teardown(() => db.end());
  const before = (await f.tr.rt.engines.repo.readConfig('fake', 'main'))!.config;
  const rotating = f.tr.call('POST', 'fake/rotate-root/main');
  t.ok(await until(async () => (await f.count('rotate_waiting')) === 1, 5000, 10), 'rotate-root has read its config');
  t.equal((await f.tr.call('POST', 'fake/config/main', { body: { plugin_name: 'fake', allowed_roles: ['app', 'later'] } })).status, 204, 'meanwhile an admin writes the config');
  await db.query("INSERT INTO fake_events (kind, credential_id) VALUES ('release', '*')");
  const rotated = await rotating;
  t.equal(rotated.status, 204, JSON.stringify(rotated.body));
  const after = (await f.tr.rt.engines.repo.readConfig('fake', 'main'))!.config;
  t.not(after.password, before.password, 'the new root credential is stored');
  t.same(after.allowed_roles, ['app', 'later'], "and the admin's write is not undone by it");
});

t.test('a config written while a credential is being issued: the request finishes on the instance it started with', async (t) => {
  const f = await fakeSetup(t);
  await f.role('slow', { issue_wait_release: true });
  const db = new pg.Client({ connectionString: f.targetUrl });
  await db.connect();
  t.teardown(() => db.end());
  const issuing = f.tr.call('GET', 'fake/creds/slow');
  t.ok(await until(async () => (await f.tr.rt.leases.store.listPrefix('fake/creds/slow/')).length === 1, 5000, 10), 'the engine is creating the credential');
  const write = await f.tr.call('POST', 'fake/config/main', { body: { plugin_name: 'fake', connection_url: f.targetUrl, allowed_roles: ['*'], revoke_delay_ms: 1 } });
  t.equal(write.status, 204, 'meanwhile an admin writes the config');
  await db.query("INSERT INTO fake_events (kind, credential_id) VALUES ('release', '*')");
  const issued = await issuing;
  t.equal(issued.status, 200, `the credential is issued on the old connections: ${JSON.stringify(issued.body)}`);
  t.equal(await f.count('issue', issued.body.data?.username), 1, 'and it exists');
  const next = await f.tr.call('GET', 'fake/creds/app');
  t.equal(next.status, 200, 'the next request uses the new config');
  t.equal((await f.tr.call('POST', 'sys/leases/revoke', { body: { lease_id: issued.body.lease_id } })).status, 204);
  t.equal(await f.count('revoke', issued.body.data?.username), 1, 'the first credential is revoked through the new instance');
});
