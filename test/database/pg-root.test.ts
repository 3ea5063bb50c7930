// rotate-root on PostgreSQL: afterwards the old admin password is refused and the engine still
// issues creds; a rotation whose new config was never stored (crash after the ALTER) is
// recovered from the sealed pending password. Also the reconciler's listing.
import t from 'tap';
import postgres from '../../plugins/postgres/index.js';
import { pendingRootKey } from '../../plugins/sdk/sql-engine.js';
import { issue, testEngineContext } from '../helpers/engine-contract.js';
import { pgFixture } from './pg-fixture.js';

t.test('rotate-root: old password refused, creds still issued', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const { config } = await engine.rotateRoot!(ctx);
  t.not(config.password, fx.adminPassword, 'new password');
  t.equal(await fx.login(fx.admin, fx.adminPassword), null, 'old admin password refused');
  t.ok(await fx.login(fx.admin, config.password!), 'new admin password works');
  t.ok(ctx.stateMap.has(pendingRootKey(fx.config)), 'pending password was recorded before the change');
  const cred = await issue(engine, ctx, 'reader', fx.groupRole);
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'creds still issued');
  // a fresh instance from the returned config works too (what the core stores)
  const again = postgres.create();
  t.teardown(() => again.close());
  await again.initialize({ config, verifyConnection: true }, ctx);
  t.notOk(ctx.logLines.join('\n').includes(config.password!), 'new password never logged');
});

t.test('rotate-root interrupted before the new config is stored recovers', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const { config: lost } = await engine.rotateRoot!(ctx); // the core "crashes" and never stores this
  await engine.close();
  const replica = postgres.create();
  t.teardown(() => replica.close());
  const { config } = await replica.initialize({ config: fx.config, verifyConnection: true }, ctx);
  t.equal(config.password, lost.password, 'stale config adopts the pending password');
  const cred = await issue(replica, ctx, 'reader', fx.groupRole);
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'creds issued after recovery');
});

t.test('listCredentials lists users matching the template prefix, not others', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const cred = await issue(engine, ctx, 'reader', fx.groupRole);
  const sneaky = `${fx.tag}-behind-lessors-back`;
  await fx.su(`CREATE ROLE "${sneaky}" LOGIN`);
  await fx.su(`CREATE ROLE "${fx.tag}_unrelated" LOGIN`);
  const listed: string[] = [];
  for await (const id of engine.listCredentials!(ctx)) listed.push(id);
  t.same(listed.sort(), [cred.id, sneaky].sort(), 'issued and sneaky users listed; admin, group and others not');
});

t.test('a server that is down answers unavailable quickly', async (t) => {
  const { ownPostgres } = await import('../helpers/context.js');
  const server = await ownPostgres(t);
  const fx = await pgFixture(t, { url: server.url(), host: server.host, port: server.port, user: server.user, password: server.password });
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  await server.stop();
  const started = performance.now();
  const err = await issue(engine, ctx, 'reader', fx.groupRole).then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err?.kind, 'unavailable');
  t.ok(performance.now() - started < 6000, 'within the connect timeout');
  const err2 = await engine.initialize({ config: fx.config, verifyConnection: true }, ctx).then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err2?.kind, 'unavailable', 'verify_connection on a down server: unavailable');
  await server.start();
  const cred = await issue(engine, ctx, 'reader', fx.groupRole);
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'works again once the server is back');
});

t.test('password_authentication=scram-sha-256: statements get a verifier, never the password', async (t) => {
  const fx = await pgFixture(t);
  await fx.su('CREATE TABLE seen (p text)');
  await fx.su(`GRANT INSERT ON seen TO "${fx.admin}"`);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: { ...fx.config, password_authentication: 'scram-sha-256' }, verifyConnection: true }, ctx);
  const role = { ...fx.groupRole, creation_statements: [...[fx.groupRole.creation_statements!].flat(), "INSERT INTO seen VALUES ('{{password}}')"] };
  const cred = await issue(engine, ctx, 'reader', role);
  const { rows } = await fx.su('SELECT p FROM seen');
  t.match(rows[0].p, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, 'the server saw a verifier');
  t.notOk(rows[0].p.includes(cred.data.password), 'not the password');
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'and the password logs in against it');
  const { config } = await engine.rotateRoot!(ctx);
  t.ok(await fx.login(fx.admin, config.password!), 'rotate-root with a verifier: new admin password works');
});

t.test('root_rotation_statements replace the engine\'s own', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: { ...fx.config, root_rotation_statements: `ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}'` }, verifyConnection: true }, ctx);
  const { config } = await engine.rotateRoot!(ctx);
  t.equal(await fx.login(fx.admin, fx.adminPassword), null, 'old password refused');
  t.ok(await fx.login(fx.admin, config.password!), 'new password works');
});

t.test('after rotate-root, a config written with a wrong password is still refused', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  await engine.rotateRoot!(ctx);
  const other = postgres.create();
  t.teardown(() => other.close());
  const err = await other.initialize({ config: { ...fx.config, password: 'typo-password' }, verifyConnection: true }, ctx)
    .then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err?.kind, 'config', 'not silently replaced by the rotated password');
  t.match(err?.message, /authentication failed/);
});
