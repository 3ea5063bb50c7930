// A target PostgreSQL that is down answers 503 naming its config on every path that reaches it
// (creds, renew, sync revoke, rotate-root, rotate-role, reconcile), never a 500 or a 502, and
// changes nothing; a statement the target refuses is a 502, also naming the config. Once the
// server is back, the same calls work.
import t from 'tap';
import { ownPostgres } from '../helpers/context.js';
import { testRuntime } from '../helpers/test-runtime.js';
import { pgFixture } from './pg-fixture.js';

t.test('target down: 503 naming the config on every engine path; refused statements 502', async (t) => {
  const server = await ownPostgres(t);
  const fx = await pgFixture(t, { url: server.url(), host: server.host, port: server.port, user: server.user, password: server.password });
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'database/config/pg', { body: { ...fx.config, allowed_roles: '*' } })).status, 204);
  t.equal((await tr.call('POST', 'database/roles/reader', { body: { ...fx.groupRole, db_name: 'pg' } })).status, 204);
  // A renew statement the server refuses: the operator's statement, not an outage.
  t.equal((await tr.call('POST', 'database/roles/badrenew', { body: { ...fx.groupRole, db_name: 'pg', renew_statements: 'ALTER ROLE "{{name}}" NO_SUCH_OPTION' } })).status, 204);
  const staticUser = `${fx.tag}_static`;
  await fx.su(`CREATE ROLE "${staticUser}" LOGIN PASSWORD 'seed-password'`);
  t.equal((await tr.call('POST', 'database/static-roles/st', { body: { db_name: 'pg', username: staticUser, rotation_period: '1h' } })).status, 204);

  const refused = (await tr.call('GET', 'database/creds/badrenew')).body;
  const lookup = async (id: string) => (await tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: id } })).body.data;
  const before = await lookup(refused.lease_id);
  const r502 = await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: refused.lease_id, increment: 600 } });
  t.equal(r502.status, 502, 'a renew statement the target refuses: 502');
  t.match(r502.body.errors[0], /config "pg" on database\//, 'naming the config');
  t.equal((await lookup(refused.lease_id)).expire_time, before.expire_time, 'the lease is unchanged');

  const renewMe = (await tr.call('GET', 'database/creds/reader')).body;
  const revokeMe = (await tr.call('GET', 'database/creds/reader')).body;
  const renewBefore = await lookup(renewMe.lease_id);
  await server.stop();

  const down = async (what: string, res: { status: number; body: any }) => {
    t.equal(res.status, 503, `${what}: 503 while the target is down`);
    t.match(res.body?.errors?.[0], /config "pg" on database\/: target unavailable/, `${what}: names the config`);
    t.notOk(JSON.stringify(res.body).includes(fx.adminPassword), `${what}: no secret in the answer`);
  };
  await down('creds', await tr.call('GET', 'database/creds/reader'));
  await down('renew', await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: renewMe.lease_id, increment: 600 } }));
  await down('sync revoke', await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: revokeMe.lease_id } }));
  await down('rotate-root', await tr.call('POST', 'database/rotate-root/pg'));
  await down('rotate-role', await tr.call('POST', 'database/rotate-role/st'));
  await down('reconcile', await tr.call('POST', 'database/reconcile/pg', { body: {} }));
  t.equal((await lookup(renewMe.lease_id)).expire_time, renewBefore.expire_time, 'the failed renewal changed nothing');
  t.equal((await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: renewMe.lease_id, increment: 600 } })).status, 503,
    'a failed renewal let go of the lease: the next one is not refused as concurrent');

  await server.start();
  const renewed = await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: renewMe.lease_id, increment: 600 } });
  t.equal(renewed.status, 200, 'renew works again');
  t.ok(await fx.canSelect(renewMe.data.username, renewMe.data.password));
  t.equal((await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: revokeMe.lease_id } })).status, 204, 'revoke works again');
  t.notOk(await fx.roleExists(revokeMe.data.username), 'and the user is gone');
  t.notOk(tr.logLines.join('\n').includes(fx.adminPassword), 'no secret in the log');
});
