// PostgreSQL administration end to end: the reconciler, rotate-root, and static roles (creation
// takes the user over, rotate-role, scheduled rotation through the reaper's jobs, and recovery of
// a rotation interrupted between "applied" and "promoted").
import t from 'tap';
import postgres from '../../plugins/postgres/index.js';
import { applyRotation, beginRotation, rotateStaticRole, STATIC_KIND, type StaticRoleDoc } from '../../plugins/sdk/static-rotation.js';
import { staticRoleRoutes } from '../../plugins/sdk/static-roles.js';
import type { MountApi } from '../../plugins/sdk/types.js';
import { pgHttp } from './http-setup.js';
import { waitUntil } from '../helpers/proc.js';

t.test('the reconciler finds a credential whose lease was lost and removes it only when told', async (t) => {
  const { tr, fx, creds } = await pgHttp(t);
  const live = await creds('reader');
  const lost = await creds('reader');
  // The lease record is lost (a store restored from an older snapshot); the user stays.
  await tr.rt.leases.store.remove(lost.lease_id);
  // A user with the template's prefix that lessor did not make is never its to drop.
  const byHand = `${fx.tag}-made-by-hand`;
  await fx.su(`CREATE ROLE "${byHand}" LOGIN PASSWORD 'by-hand-password'`);
  // Nor is a static role's user.
  const staticUser = `${fx.tag}-static-user`;
  await fx.su(`CREATE ROLE "${staticUser}" LOGIN PASSWORD 'seed-password'`);
  t.equal((await tr.call('POST', 'database/static-roles/st', { body: { db_name: 'pg', username: staticUser, rotation_period: '1h' } })).status, 204);
  const orphan = lost.data.username;
  const dry = await tr.call('POST', 'database/reconcile/pg', { body: {} });
  t.equal(dry.status, 200);
  t.same(dry.body.data, { dry_run: true, orphans: [orphan], revoked: [] }, 'dry run by default: reported only');
  t.ok(await fx.roleExists(orphan), 'still there after the dry run');
  const wet = await tr.call('POST', 'database/reconcile/pg', { body: { dry_run: false } });
  t.same(wet.body.data, { dry_run: false, orphans: [orphan], revoked: [orphan] });
  t.notOk(await fx.roleExists(orphan), 'removed when told');
  t.ok(await fx.canSelect(live.data.username, live.data.password), 'the leased user is untouched');
  t.ok(await fx.roleExists(byHand), 'the user made by hand is untouched');
  t.ok(await fx.roleExists(staticUser), 'the static role\'s user is untouched');
  t.equal((await tr.call('POST', 'database/reconcile/pg', { body: { dry_run: 'no' } })).status, 400, 'bad input refused');
});

t.test('rotate-root: the old admin password stops working and creds are still issued', async (t) => {
  const { tr, fx, creds } = await pgHttp(t);
  t.equal((await tr.call('POST', 'database/rotate-root/pg')).status, 204);
  t.equal(await fx.login(fx.admin, fx.adminPassword), null, 'old admin password refused');
  const c = await creds('reader');
  t.ok(await fx.canSelect(c.data.username, c.data.password), 'creds still issued');
  t.equal((await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: c.lease_id } })).status, 204, 'and revoked with the new password');
  t.notOk(await fx.roleExists(c.data.username));
});

t.test('reset: lessor\'s connections to the database are closed and new ones opened from the stored config', async (t) => {
  const { tr, fx, creds } = await pgHttp(t);
  const backends = async () => (await fx.su<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE usename = $1 AND application_name = 'lessor'", [fx.admin])).rows.map((r) => r.pid);
  await creds('reader');
  const before = await backends();
  t.ok(before.length > 0, `lessor holds ${before.length} connection(s)`);
  t.equal((await tr.call('POST', 'database/reset/pg')).status, 204);
  // A backend leaves pg_stat_activity when its process exits, a moment after the client hung up.
  await waitUntil('the old connections closed', 5000, async () => (await backends()).every((pid) => !before.includes(pid)));
  const c = await creds('reader');
  t.ok(await fx.canSelect(c.data.username, c.data.password), 'creds are issued after the reset');
  const after = await backends();
  t.ok(after.length > 0 && after.every((pid) => !before.includes(pid)), 'on new connections');
  const missing = await tr.call('POST', 'database/reset/nope');
  t.equal(missing.status, 404, 'an unknown config');
  t.match(missing.body.errors.join(' '), /no config named "nope"/);
});

t.test('static roles: takeover, static-creds, rotate-role, scheduled rotation', async (t) => {
  const { tr, fx, clock } = await pgHttp(t);
  const user = `${fx.tag}_static`;
  await fx.su(`CREATE ROLE "${user}" LOGIN PASSWORD 'seed-password' IN ROLE "${fx.group}"`);
  const bad = await tr.call('POST', 'database/static-roles/app', { body: { db_name: 'pg', username: user } });
  t.equal(bad.status, 400, 'a rotation period or schedule is required');
  const ghost = await tr.call('POST', 'database/static-roles/ghost', { body: { db_name: 'pg', username: `${fx.tag}_nobody`, rotation_period: 60 } });
  t.equal(ghost.status, 400, 'a user that does not exist is refused');
  t.match(ghost.body.errors.join(' '), /does not exist/);
  t.equal((await tr.call('GET', 'database/static-roles/ghost')).status, 404, 'and nothing stored');
  const put = await tr.call('POST', 'database/static-roles/app', { body: { db_name: 'pg', username: user, rotation_period: '1h' } });
  t.equal(put.status, 204);
  t.equal(await fx.login(user, 'seed-password'), null, 'the seeded password was rotated away at once');
  const first = await tr.call('GET', 'database/static-creds/app');
  t.equal(first.status, 200);
  t.equal(first.body.data.username, user);
  t.equal(first.body.data.rotation_period, 3600);
  t.equal(first.body.data.ttl, 3600);
  t.ok(first.body.data.last_vault_rotation);
  t.ok(await fx.canSelect(user, first.body.data.password), 'static password works');
  const role = await tr.call('GET', 'database/static-roles/app');
  t.same({ ...role.body.data, last_vault_rotation: 'x' }, {
    db_name: 'pg', username: user, credential_type: 'password', rotation_period: 3600, rotation_statements: [], last_vault_rotation: 'x', ttl: 3600,
  });
  t.notOk('password' in role.body.data);
  const list = await tr.call('LIST', 'database/static-roles');
  t.same(list.body.data.keys, ['app'], 'LIST static-roles');
  // As Vault: a role and a static role on one mount never share a name, either way round.
  const asDynamic = await tr.call('POST', 'database/roles/app', { body: { db_name: 'pg', creation_statements: 'CREATE ROLE "{{name}}"' } });
  t.equal(asDynamic.status, 400, 'a role named as a static role is refused');
  t.match(asDynamic.body.errors.join(' '), /names must be unique/);
  t.equal((await tr.call('GET', 'database/roles/app')).status, 404, 'and nothing stored');
  const asStatic = await tr.call('POST', 'database/static-roles/reader', { body: { db_name: 'pg', username: user, rotation_period: '1h' } });
  t.equal(asStatic.status, 400, 'a static role named as a role is refused');
  t.match(asStatic.body.errors.join(' '), /names must be unique/);
  t.equal((await tr.call('GET', 'database/static-roles/reader')).status, 404, 'and nothing stored');
  t.equal((await tr.call('GET', 'database/static-creds/app')).body.data.username, user, 'the static role is unchanged');
  t.equal((await tr.call('GET', 'database/static-roles/nope')).status, 404);
  const cron = await tr.call('POST', 'database/static-roles/app2', { body: { db_name: 'pg', username: user, rotation_schedule: 'not a cron' } });
  t.equal(cron.status, 400, 'a bad cron expression is refused');
  t.equal((await tr.call('GET', 'database/static-roles/app2')).status, 404, 'and nothing stored');

  t.equal((await tr.call('POST', 'database/rotate-role/app')).status, 204);
  const second = (await tr.call('GET', 'database/static-creds/app')).body.data;
  t.not(second.password, first.body.data.password);
  t.ok(await fx.canSelect(user, second.password), 'rotated password works');
  t.equal(await fx.login(user, first.body.data.password), null, 'previous password refused');

  // Due in an hour: the reaper's job machinery rotates it, on whichever replica sweeps.
  clock.advance(3600_000 + 1000);
  await tr.rt.reaper.runOnce();
  const third = (await tr.call('GET', 'database/static-creds/app')).body.data;
  t.not(third.password, second.password, 'rotated on schedule');
  t.ok(await fx.canSelect(user, third.password));
  t.notOk(tr.logLines.join('\n').includes(third.password), 'static passwords never logged');

  t.equal((await tr.call('DELETE', 'database/static-roles/app')).status, 204);
  const gone = await tr.call('GET', 'database/static-creds/app');
  t.equal(gone.status, 400, 'static-creds of an unknown role: 400 "unknown role", as in Vault');
  t.match(gone.body.errors.join(' '), /unknown role: app/);
  t.equal((await tr.call('POST', 'database/rotate-role/app')).status, 400, 'rotate-role of an unknown role too');
  t.equal((await tr.call('GET', 'database/static-roles/app')).status, 404, 'while reading the role is a 404');
  t.ok(await fx.canSelect(user, third.password), 'deleting the static role leaves the user alone');
});

t.test('a static rotation interrupted between "applied" and "promoted" recovers with a working password', async (t) => {
  const { tr, fx, clock } = await pgHttp(t);
  const user = `${fx.tag}_crash`;
  await fx.su(`CREATE ROLE "${user}" LOGIN PASSWORD 'seed-password' IN ROLE "${fx.group}"`);
  t.equal((await tr.call('POST', 'database/static-roles/svc', { body: { db_name: 'pg', username: user, rotation_period: 86400 } })).status, 204);
  const before = (await tr.call('GET', 'database/static-creds/svc')).body.data.password as string;

  // Phases 1 and 2, then the process "dies" before promoting.
  const api = tr.rt.engines.api('database', postgres);
  await beginRotation(api, 'svc');
  await applyRotation(api, 'svc');
  const doc = (await api.docs.get<StaticRoleDoc>(STATIC_KIND, 'svc'))!;
  t.ok(doc.pending?.applied, 'left applied, not promoted');
  t.equal(await fx.login(user, before), null, 'the database already has the new password');
  const meanwhile = (await tr.call('GET', 'database/static-creds/svc')).body.data.password;
  t.ok(await fx.canSelect(user, meanwhile), 'static-creds hands out the password the database has');

  // The retry scheduled at "begin" fires and finishes the rotation.
  clock.advance(60_000);
  await tr.rt.reaper.runOnce();
  const after = (await api.docs.get<StaticRoleDoc>(STATIC_KIND, 'svc'))!;
  t.notOk(after.pending, 'promoted');
  t.equal(after.password, doc.pending!.password, 'the applied password became current');
  const creds = (await tr.call('GET', 'database/static-creds/svc')).body.data;
  t.ok(await fx.canSelect(user, creds.password), 'working password after recovery');

  // Interrupted after "begin" only (never applied): the retry applies it.
  await beginRotation(api, 'svc');
  clock.advance(60_000);
  await tr.rt.reaper.runOnce();
  const final = (await tr.call('GET', 'database/static-creds/svc')).body.data;
  t.not(final.password, creds.password);
  t.ok(await fx.canSelect(user, final.password), 'working password after a rotation cut short before apply');
});

t.test('a failing static rotation keeps the current password and retries with backoff', async (t) => {
  const { tr, fx } = await pgHttp(t);
  const user = `${fx.tag}_fail`;
  await fx.su(`CREATE ROLE "${user}" LOGIN PASSWORD 'seed-password'`);
  t.equal((await tr.call('POST', 'database/static-roles/flaky', { body: { db_name: 'pg', username: user, rotation_period: '1h' } })).status, 204);
  const current = (await tr.call('GET', 'database/static-creds/flaky')).body.data.password as string;
  // Broken rotation statements: the database refuses them.
  t.equal((await tr.call('POST', 'database/static-roles/flaky', { body: { rotation_statements: 'ALTER ROLLE "{{name}}"' } })).status, 204);
  const res = await tr.call('POST', 'database/rotate-role/flaky');
  t.ok(res.status >= 400, 'rotation failed');
  const after = (await tr.call('GET', 'database/static-creds/flaky')).body.data.password;
  t.equal(after, current, 'current password kept');
  t.ok(await fx.login(user, current), 'and still works');
  const doc = (await tr.rt.engines.api('database', postgres).docs.get<StaticRoleDoc>(STATIC_KIND, 'flaky'))!;
  t.equal(doc.failures, 1, 'failure counted for backoff');
});

t.test('a static role written while its password rotates keeps the rotated password', async (t) => {
  const { tr, fx } = await pgHttp(t);
  const user = `${fx.tag}_busy`;
  await fx.su(`CREATE ROLE "${user}" LOGIN PASSWORD 'seed-password' IN ROLE "${fx.group}"`);
  t.equal((await tr.call('POST', 'database/static-roles/busy', { body: { db_name: 'pg', username: user, rotation_period: '1h' } })).status, 204);
  const api = tr.rt.engines.api('database', postgres);
  const before = (await api.docs.get<StaticRoleDoc>(STATIC_KIND, 'busy'))!.password!;

  // The write reads the role, then checks its config; a whole rotation lands right there.
  let during: (() => Promise<unknown>) | undefined = () => rotateStaticRole(api, 'busy');
  const racing: MountApi = {
    ...api,
    readConfig: async (name) => {
      const run = during;
      during = undefined;
      await run?.();
      return api.readConfig(name);
    },
  };
  const write = staticRoleRoutes.find((r) => r.method === 'POST' && r.path === 'static-roles/:name')!;
  await write.handler({ params: { name: 'busy' }, query: {}, body: { rotation_period: 7200 } }, racing);

  const after = (await api.docs.get<StaticRoleDoc>(STATIC_KIND, 'busy'))!;
  t.not(after.password, before, 'the rotation that ran during the write is kept');
  t.equal(after.rotation_period, 7200, "and so is the write's own change");
  const creds = (await tr.call('GET', 'database/static-creds/busy')).body.data;
  t.ok(await fx.canSelect(user, creds.password), 'static-creds hands out the password the database has');
});
