// PostgreSQL end to end through lessor's HTTP API: config (verified), roles, creds that log in,
// renew, revoke, expiry through the reaper — with a non-superuser admin.
import t from 'tap';
import { pgHttp } from './http-setup.js';

t.test('config: a wrong password is a 400 that says so and stores nothing; reads never show secrets', async (t) => {
  const { tr, fx } = await pgHttp(t);
  const bad = await tr.call('POST', 'database/config/other', { body: { ...fx.config, password: 'not-the-password' } });
  t.equal(bad.status, 400);
  t.match(bad.body.errors.join(' '), /authentication failed/);
  t.notMatch(JSON.stringify(bad.body), /not-the-password/);
  t.equal((await tr.call('GET', 'database/config/other')).status, 404, 'nothing stored');
  const unknown = await tr.call('POST', 'database/config/other', { body: { ...fx.config, bogus: 1 } });
  t.equal(unknown.status, 400, 'unknown field refused');
  const read = await tr.call('GET', 'database/config/pg');
  t.equal(read.status, 200);
  t.equal(read.body.data.plugin_name, 'postgres');
  t.equal(read.body.data.username, fx.admin);
  t.notOk('password' in read.body.data, 'password never returned');
  t.notOk(tr.logLines.join('\n').includes(fx.adminPassword), 'admin password never logged');
  const role = await tr.call('GET', 'database/roles/reader');
  t.equal(role.body.data.db_name, 'pg');
  const badRole = await tr.call('POST', 'database/roles/bad', { body: { db_name: 'pg', creation_statements: 'x', default_ttl: 'forever' } });
  t.equal(badRole.status, 400, 'bad duration refused');
});

t.test('creds log in and can do exactly what the role grants', async (t) => {
  const { tr, fx, creds } = await pgHttp(t);
  const c = await creds('reader');
  t.equal(c.lease_duration, 3600);
  t.ok(c.renewable);
  t.match(c.lease_id, /^database\/creds\/reader\//);
  t.ok(await fx.canSelect(c.data.username, c.data.password), 'SELECT allowed');
  t.notOk(await fx.canInsert(c.data.username, c.data.password), 'INSERT refused');
  t.notOk(await fx.canSelect(c.data.username, `${c.data.password}x`), 'password plus one character refused');
  t.notOk(tr.logLines.join('\n').includes(c.data.password), 'password never logged');
});

t.test('renew extends VALID UNTIL; revoke drops the user', async (t) => {
  const { tr, fx, creds, clock } = await pgHttp(t);
  const c = await creds('reader');
  const validUntil = async () =>
    new Date((await fx.su('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [c.data.username])).rows[0].rolvaliduntil).getTime();
  const before = await validUntil();
  clock.advance(30 * 60_000);
  const renew = await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: c.lease_id, increment: 7200 } });
  t.equal(renew.status, 200);
  t.equal(renew.body.lease_duration, 7200);
  const after = await validUntil();
  t.ok(after > before, 'VALID UNTIL extended');
  t.equal(after, Math.ceil((clock.now() + 7200_000) / 1000) * 1000, 'to the renewed expiry, rounded up to the second');
  t.equal((await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: c.lease_id } })).status, 204);
  t.notOk(await fx.roleExists(c.data.username), 'user gone');
  t.equal(await fx.login(c.data.username, c.data.password), null, 'login refused');
});

t.test('expiry: the reaper revokes the user', async (t) => {
  const { tr, fx, creds, clock } = await pgHttp(t);
  const c = await creds('reader');
  t.ok(await fx.canSelect(c.data.username, c.data.password));
  clock.advance(3600_000 + 1000);
  await tr.rt.reaper.runOnce();
  t.notOk(await fx.roleExists(c.data.username), 'user gone after expiry');
  t.equal(await fx.login(c.data.username, c.data.password), null, 'login refused');
});

t.test('a broken creation statement: 400 with the database message, no user, no lease', async (t) => {
  const { tr, fx } = await pgHttp(t);
  const role = await tr.call('POST', 'database/roles/broken', {
    body: { db_name: 'pg', creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, 'GRANT SELECT ON items TOO "{{name}}"'] },
  });
  t.equal(role.status, 204);
  const res = await tr.call('GET', 'database/creds/broken');
  t.equal(res.status, 400);
  t.match(res.body.errors.join(' '), /syntax error/);
  const left = await fx.su('SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE $1', [`${fx.tag}-%`]);
  t.equal(left.rows[0].n, 0, 'no user left');
  t.same(await tr.rt.leases.store.listPrefix('database/'), [], 'no lease left');
});

t.test('hostile names over HTTP: refused at the path, or made safe in the username', async (t) => {
  const { tr, fx } = await pgHttp(t);
  for (const name of ['x"y', "o'brien", 'a;b', 'Δ']) {
    const res = await tr.call('POST', `database/roles/${encodeURIComponent(name)}`, { body: fx.groupRole });
    t.equal(res.status, 400, `role name ${JSON.stringify(name)} refused`);
  }
  const policy = { path: { 'database/creds/*': { capabilities: ['read'] } } };
  t.equal((await tr.call('PUT', 'sys/policies/acl/creds', { body: { policy: JSON.stringify(policy) } })).status, 204);
  const tok = await tr.call('POST', 'auth/token/create', { body: { policies: ['creds'], display_name: `evil"; DROP ROLE "${fx.admin}"; -- Δ` } });
  t.equal(tok.status, 200);
  const c = await tr.call('GET', 'database/creds/reader', { token: tok.body.auth.client_token });
  t.equal(c.status, 200);
  t.match(c.body.data.username, /^v?[a-zA-Z0-9_.-]+$/);
  t.ok(await fx.canSelect(c.body.data.username, c.body.data.password), 'works');
  t.ok(await fx.roleExists(fx.admin), 'admin untouched');
});
