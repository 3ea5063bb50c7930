// rotate-root on MariaDB (the version-chosen password statement), recovery of a rotation whose
// config was never stored, the reconciler's listing, and a down server answering quickly.
import t from 'tap';
import mysqlPlugin from '../../plugins/mysql/index.js';
import { issue, testEngineContext } from '../helpers/engine-contract.js';
import { ownMariadb } from '../helpers/context.js';
import { mariadbFixture } from './mariadb-fixture.js';

t.test('rotate-root: old password refused, creds still issued; a lost config is recovered', async (t) => {
  const fx = await mariadbFixture(t);
  const ctx = testEngineContext();
  const engine = mysqlPlugin.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const { config } = await engine.rotateRoot!(ctx);
  t.not(config.password, fx.adminPassword);
  t.equal(await fx.login(fx.admin, fx.adminPassword), null, 'old admin password refused');
  const cred = await issue(engine, ctx, 'reader', fx.role);
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'creds still issued');
  // a replica starting from the stale stored config adopts the pending password
  const replica = mysqlPlugin.create();
  t.teardown(() => replica.close());
  const { config: recovered } = await replica.initialize({ config: fx.config, verifyConnection: true }, ctx);
  t.equal(recovered.password, config.password, 'recovered the rotated password');
  t.notOk(ctx.logLines.join('\n').includes(config.password!), 'password never logged');
});

t.test('listCredentials lists users matching the template prefix only', async (t) => {
  const fx = await mariadbFixture(t);
  const ctx = testEngineContext();
  const engine = mysqlPlugin.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const cred = await issue(engine, ctx, 'reader', fx.role);
  const sneaky = `${fx.tag}-sneaky`;
  await fx.root('CREATE USER ?@? IDENTIFIED BY ?', [sneaky, '%', 'whatever-pw']);
  await fx.root('CREATE USER ?@? IDENTIFIED BY ?', [`${fx.tag}_other`, '%', 'whatever-pw']);
  const listed: string[] = [];
  for await (const id of engine.listCredentials!(ctx)) listed.push(id);
  t.same(listed.sort(), [cred.id, sneaky].sort());
});

t.test('a server that is down answers unavailable quickly', async (t) => {
  const server = await ownMariadb(t);
  const fx = await mariadbFixture(t, { url: server.url(), host: server.host, port: server.port, user: server.user, password: server.password });
  const ctx = testEngineContext();
  const engine = mysqlPlugin.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  await server.stop();
  const started = performance.now();
  const err = await issue(engine, ctx, 'reader', fx.role).then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err?.kind, 'unavailable');
  t.ok(performance.now() - started < 6000, 'within the connect timeout');
  await server.start();
  const cred = await issue(engine, ctx, 'reader', fx.role);
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'works again once the server is back');
});
