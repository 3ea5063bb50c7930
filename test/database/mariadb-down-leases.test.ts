// A target MariaDB that is down: creds and a synchronous revoke answer 503 naming the config
// (unreachable, not a 502, which would say the target refused), and both work once it is back.
import t from 'tap';
import { ownMariadb } from '../helpers/context.js';
import { testRuntime } from '../helpers/test-runtime.js';
import { until } from '../leases/fake-setup.js';
import { mariadbFixture } from './mariadb-fixture.js';

t.test('target down: creds and sync revoke are 503s naming the config, then recover', async (t) => {
  const server = await ownMariadb(t);
  const fx = await mariadbFixture(t, { url: server.url(), host: server.host, port: server.port, user: server.user, password: server.password });
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'database/config/maria', { body: { ...fx.config, allowed_roles: '*', connect_timeout: '2s' } })).status, 204);
  t.equal((await tr.call('POST', 'database/roles/app', { body: { ...fx.role, db_name: 'maria' } })).status, 204);
  const c = (await tr.call('GET', 'database/creds/app')).body;
  t.ok(await fx.canSelect(c.data.username, c.data.password));
  await server.stop();

  for (const [what, res] of [
    ['creds', await tr.call('GET', 'database/creds/app')],
    ['sync revoke', await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: c.lease_id } })],
  ] as const) {
    t.equal(res.status, 503, `${what}: 503 while the target is down`);
    t.match(res.body?.errors?.[0], /config "maria" on database\/: target unavailable/, `${what}: names the config`);
    t.notOk(JSON.stringify(res.body).includes(fx.adminPassword), `${what}: no secret in the answer`);
  }

  await server.start();
  // The pool may first hand out a connection the restart killed: that attempt is a 503 too.
  const revoked = async () => (await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: c.lease_id } })).status === 204;
  t.ok(await until(revoked, 10_000), 'revoke works again');
  t.notOk(await fx.userExists(c.data.username), 'and the user is gone');
});
