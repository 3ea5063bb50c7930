// The mysql engine driven directly (no HTTP) against the run's real MariaDB with a
// least-privilege admin: the contract suite, then what the issue asks of MySQL/MariaDB users.
import t from 'tap';
import mysqlPlugin from '../../plugins/mysql/index.js';
import { issue, runEngineContract, testEngineContext } from '../helpers/engine-contract.js';
import { mariadbFixture } from './mariadb-fixture.js';
import type { DatabaseRole } from '../../plugins/sdk/database.js';

const errOf = (p: Promise<unknown>) => p.then(() => undefined, (e: Error & { kind?: string }) => e);

t.test('contract suite', async (t) => {
  const fx = await mariadbFixture(t);
  await runEngineContract(t, {
    plugin: mysqlPlugin,
    config: fx.config,
    roleName: 'reader',
    role: fx.role,
    works: (d) => fx.canSelect(d.username, d.password),
    tamper: (d) => ({ ...d, password: `${d.password}x` }),
    configSecrets: [fx.adminPassword],
  });
});

t.test('verify_connection: wrong password is a config error saying so; no CREATE USER is refused', async (t) => {
  const fx = await mariadbFixture(t);
  const engine = mysqlPlugin.create();
  t.teardown(() => engine.close());
  const err = await errOf(engine.initialize({ config: { ...fx.config, password: 'wrong-password' }, verifyConnection: true }, testEngineContext()));
  t.equal(err?.kind, 'config');
  t.match(err?.message, /authentication failed/);
  t.notMatch(err?.message, /wrong-password/);
  await fx.root('REVOKE CREATE USER ON *.* FROM ?@?', [fx.admin, '%']);
  const err2 = await errOf(engine.initialize({ config: fx.config, verifyConnection: true }, testEngineContext()));
  t.equal(err2?.kind, 'config');
  t.match(err2?.message, /CREATE USER/);
});

t.test('creds can do what the role grants and nothing more; revoke ends them', async (t) => {
  const fx = await mariadbFixture(t);
  const ctx = testEngineContext();
  const engine = mysqlPlugin.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const cred = await issue(engine, ctx, 'reader', fx.role);
  t.match(cred.data.username, /^[a-zA-Z0-9_.-]+$/);
  t.ok(cred.data.username.length <= 32);
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'SELECT allowed');
  t.notOk(await fx.canInsert(cred.data.username, cred.data.password), 'INSERT refused');
  t.notOk(await fx.canSelect(cred.data.username, `${cred.data.password}x`), 'password plus one char refused');
  const session = await fx.login(cred.data.username, cred.data.password);
  await engine.deleteCredential({ credentialId: cred.id, roleName: 'reader', role: fx.role }, ctx);
  t.notOk(await fx.userExists(cred.id), 'user dropped');
  t.notOk(await fx.canSelect(cred.data.username, cred.data.password), 'login refused');
  t.notOk(await session!.query('SELECT 1').then(() => true, () => false), 'open session ended');
  await session!.end().catch(() => {});
  // renew is a no-op by default on MySQL (no VALID UNTIL) and must not fail
  const c2 = await issue(engine, ctx, 'reader', fx.role);
  await engine.updateCredential!({ credentialId: c2.id, roleName: 'reader', role: fx.role, expiresAt: Date.now() + 7200_000 }, ctx);
  t.ok(await fx.canSelect(c2.data.username, c2.data.password), 'renewed user still works');
});

t.test('a creation statement with a syntax error rolls back and leaves no user', async (t) => {
  const fx = await mariadbFixture(t);
  const ctx = testEngineContext();
  const engine = mysqlPlugin.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const broken: DatabaseRole = {
    db_name: 'mariadb',
    creation_statements: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'`, `GRANT SELECT ON \`${fx.dbName}\`.* TOO '{{name}}'@'%'`],
  };
  const err = await errOf(issue(engine, ctx, 'broken', broken));
  t.equal(err?.kind, 'config');
  t.match(err?.message, /SQL syntax/);
  const rows = await fx.root('SELECT User FROM mysql.user WHERE User LIKE ?', [`${fx.tag}-%`]);
  t.same(rows, [], 'default rollback dropped the half-made user');
  // explicit rollback statements are used when given
  const withRollback: DatabaseRole = { ...broken, rollback_statements: `DROP USER IF EXISTS '{{name}}'@'%'` };
  t.equal((await errOf(issue(engine, ctx, 'broken', withRollback)))?.kind, 'config');
  t.same(await fx.root('SELECT User FROM mysql.user WHERE User LIKE ?', [`${fx.tag}-%`]), [], 'rollback_statements dropped it');
});

t.test('hostile role and display names give safe usernames that work', async (t) => {
  const fx = await mariadbFixture(t);
  const ctx = testEngineContext();
  const engine = mysqlPlugin.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: { ...fx.config, username_template: undefined }, verifyConnection: true }, ctx);
  for (const name of [`x'; DROP USER '${fx.admin}'@'%'; --`, 'a`b\\c', 'Δ日本語🙂', '{{password}}']) {
    const cred = await issue(engine, ctx, name, fx.role, { displayName: name });
    t.match(cred.data.username, /^v-[a-zA-Z0-9_.-]+$/, `default template, safe username for ${JSON.stringify(name)}`);
    t.ok(cred.data.username.length <= 32);
    t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'works');
    await engine.deleteCredential({ credentialId: cred.id, roleName: name, role: fx.role }, ctx);
  }
  t.ok(await fx.userExists(fx.admin), 'admin untouched');
});

t.test('50 concurrent creds give 50 distinct working users', async (t) => {
  const fx = await mariadbFixture(t);
  const ctx = testEngineContext();
  const engine = mysqlPlugin.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const started = performance.now();
  const creds = await Promise.all(Array.from({ length: 50 }, () => issue(engine, ctx, 'app', fx.role)));
  t.comment(`50 concurrent mariadb creds: ${Math.round(performance.now() - started)} ms`);
  t.equal(new Set(creds.map((c) => c.id)).size, 50);
  let ok = 0;
  for (let i = 0; i < 50; i += 10) ok += (await Promise.all(creds.slice(i, i + 10).map((c) => fx.canSelect(c.data.username, c.data.password)))).filter(Boolean).length;
  t.equal(ok, 50, 'all 50 work');
  await Promise.all(creds.map((c) => engine.deleteCredential({ credentialId: c.id, roleName: 'app', role: fx.role }, ctx)));
  t.same(await fx.root('SELECT User FROM mysql.user WHERE User LIKE ?', [`${fx.tag}-%`]), [], 'all revoked');
});
