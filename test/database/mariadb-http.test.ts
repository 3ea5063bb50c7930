// MariaDB end to end through lessor's HTTP API, partly with node-vault (an unchanged Vault
// client): config, role, creds that log in, renew and revoke of the lease, expiry through the
// reaper, the reconciler, rotate-root and a static role.
import t from 'tap';
import vault from 'node-vault';
import { mariadbHttp } from './http-setup.js';

t.test('node-vault: configure, read creds, renew and revoke the lease', async (t) => {
  const { tr, fx } = await mariadbHttp(t);
  const client = vault({ endpoint: await tr.listen(), token: tr.rootToken });
  await client.write('database/config/nv', { ...fx.config, allowed_roles: 'nv-reader' });
  await client.write('database/roles/nv-reader', {
    db_name: 'nv', creation_statements: fx.role.creation_statements, default_ttl: 600, max_ttl: '2h',
  });
  const creds = await client.read('database/creds/nv-reader');
  t.equal(creds.lease_duration, 600);
  t.ok(creds.renewable);
  t.ok(await fx.canSelect(creds.data.username, creds.data.password), 'SELECT allowed');
  t.notOk(await fx.canInsert(creds.data.username, creds.data.password), 'INSERT refused');
  t.notOk(await fx.canSelect(creds.data.username, `${creds.data.password}x`), 'password plus one character refused');
  const renewed = await client.write('sys/leases/renew', { lease_id: creds.lease_id, increment: 1800 });
  t.equal(renewed.lease_duration, 1800);
  t.equal(renewed.lease_id, creds.lease_id);
  t.ok(await fx.canSelect(creds.data.username, creds.data.password), 'still works after renew');
  await client.write('sys/leases/revoke', { lease_id: creds.lease_id });
  t.notOk(await fx.userExists(creds.data.username), 'user gone after revoke');
  t.notOk(await fx.canSelect(creds.data.username, creds.data.password), 'login refused');
  const wrong = await client.write('database/config/bad', { ...fx.config, password: 'nope-nope' }).then(() => undefined, (e: { response?: { statusCode: number } }) => e);
  t.equal(wrong?.response?.statusCode, 400, 'wrong admin password: 400');
});

t.test('expiry via the reaper; a broken creation statement leaves no user', async (t) => {
  const { tr, fx, creds, clock } = await mariadbHttp(t);
  const c = await creds('reader');
  t.ok(await fx.canSelect(c.data.username, c.data.password));
  clock.advance(3600_000 + 1000);
  await tr.rt.reaper.runOnce();
  t.notOk(await fx.userExists(c.data.username), 'user gone after expiry');
  t.notOk(await fx.canSelect(c.data.username, c.data.password), 'login refused');

  await tr.call('POST', 'database/roles/broken', {
    body: { db_name: 'maria', creation_statements: `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON \`${fx.dbName}\`.* TOO '{{name}}'@'%'` },
  });
  const res = await tr.call('GET', 'database/creds/broken');
  t.equal(res.status, 400);
  t.match(res.body.errors.join(' '), /SQL syntax/);
  t.same(await fx.root('SELECT User FROM mysql.user WHERE User LIKE ?', [`${fx.tag}-%`]), [], 'no user left');
});

t.test('reconciler, rotate-root and a static role on MariaDB', async (t) => {
  const { tr, fx, creds } = await mariadbHttp(t);
  const live = await creds('reader');
  const lost = await creds('reader');
  await tr.rt.leases.store.remove(lost.lease_id); // its lease record is lost; the user stays
  const byHand = `${fx.tag}-by-hand`;
  await fx.root('CREATE USER ?@? IDENTIFIED BY ?', [byHand, '%', 'by-hand-password']);
  const orphan = lost.data.username;
  const dry = await tr.call('POST', 'database/reconcile/maria', { body: { dry_run: true } });
  t.same(dry.body.data.orphans, [orphan], 'only a credential lessor made and lost track of');
  t.ok(await fx.userExists(orphan), 'kept on a dry run');
  const wet = await tr.call('POST', 'database/reconcile/maria', { body: { dry_run: false } });
  t.same(wet.body.data.revoked, [orphan]);
  t.notOk(await fx.userExists(orphan), 'removed when told');
  t.ok(await fx.userExists(byHand), 'a user made by hand is never touched');
  t.ok(await fx.canSelect(live.data.username, live.data.password), 'leased user untouched');

  t.equal((await tr.call('POST', 'database/rotate-root/maria')).status, 204);
  t.equal(await fx.login(fx.admin, fx.adminPassword), null, 'old admin password refused');
  const after = await creds('reader');
  t.ok(await fx.canSelect(after.data.username, after.data.password), 'creds still issued after rotate-root');

  const user = `${fx.tag}_static`;
  await fx.root('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', 'seed-password']);
  await fx.root(`GRANT SELECT ON \`${fx.dbName}\`.* TO ?@?`, [user, '%']);
  const put = await tr.call('POST', 'database/static-roles/app', { body: { db_name: 'maria', username: user, rotation_schedule: '0 3 * * *' } });
  t.equal(put.status, 204, JSON.stringify(put.body));
  const sc = (await tr.call('GET', 'database/static-creds/app')).body.data;
  t.equal(sc.rotation_schedule, '0 3 * * *');
  t.ok(sc.ttl > 0 && sc.ttl <= 86400, 'ttl to the next 03:00 UTC');
  t.ok(await fx.canSelect(user, sc.password), 'static password works');
  t.notOk(await fx.canSelect(user, 'seed-password'), 'seed password rotated away');
  t.equal((await tr.call('POST', 'database/rotate-role/app')).status, 204);
  const sc2 = (await tr.call('GET', 'database/static-creds/app')).body.data;
  t.ok(await fx.canSelect(user, sc2.password), 'rotated password works');
  t.notOk(await fx.canSelect(user, sc.password), 'old one refused');
});
