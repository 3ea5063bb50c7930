// A target PostgreSQL that is down: creds answer 503 quickly (never a hang), nothing is left
// behind, and creds work again once the server is back.
import t from 'tap';
import { ownPostgres } from '../helpers/context.js';
import { testRuntime } from '../helpers/test-runtime.js';
import { pgFixture } from './pg-fixture.js';

t.test('target down: 503 within the connect timeout, then recovery', async (t) => {
  const server = await ownPostgres(t);
  const fx = await pgFixture(t, { url: server.url(), host: server.host, port: server.port, user: server.user, password: server.password });
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'database/config/pg', { body: { ...fx.config, allowed_roles: '*' } })).status, 204);
  t.equal((await tr.call('POST', 'database/roles/reader', { body: { ...fx.groupRole, db_name: 'pg' } })).status, 204);
  t.equal((await tr.call('GET', 'database/creds/reader')).status, 200);
  await server.stop();
  const started = performance.now();
  const res = await tr.call('GET', 'database/creds/reader');
  t.equal(res.status, 503);
  t.ok(performance.now() - started < 6000, 'quickly');
  t.notOk(JSON.stringify(res.body).includes(fx.adminPassword), 'no secret in the answer');
  const verify = await tr.call('POST', 'database/config/pg2', { body: { ...fx.config } });
  t.equal(verify.status, 503, 'verifying a config against a down server: 503');
  await server.start();
  const back = await tr.call('GET', 'database/creds/reader');
  t.equal(back.status, 200);
  t.ok(await fx.canSelect(back.body.data.username, back.body.data.password), 'works again');
});
