// The postgres engine driven directly (no HTTP) against the run's real PostgreSQL, with an admin
// that is not a superuser: the contract suite, then what the issue asks of PostgreSQL users.
import t from 'tap';
import postgres from '../../plugins/postgres/index.js';
import { issue, runEngineContract, testEngineContext } from '../helpers/engine-contract.js';
import { pgFixture } from './pg-fixture.js';
import type { DatabaseRole } from '../../plugins/sdk/database.js';

t.test('contract suite (non-superuser admin, group role)', async (t) => {
  const fx = await pgFixture(t);
  await runEngineContract(t, {
    plugin: postgres,
    config: fx.config,
    roleName: 'reader',
    role: fx.groupRole,
    works: (d) => fx.canSelect(d.username, d.password),
    tamper: (d) => ({ ...d, password: `${d.password}x` }),
    configSecrets: [fx.adminPassword],
  });
});

t.test('verify_connection with a wrong password fails as a config error saying so', async (t) => {
  const fx = await pgFixture(t);
  const engine = postgres.create();
  t.teardown(() => engine.close());
  const err = await engine.initialize({ config: { ...fx.config, password: 'wrong-password' }, verifyConnection: true }, testEngineContext())
    .then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err?.kind, 'config');
  t.match(err?.message, /authentication failed/);
  t.notMatch(err?.message, /wrong-password/, 'password not echoed');
});

t.test('creds can do what the role grants and nothing more', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const cred = await issue(engine, ctx, 'reader', fx.groupRole);
  t.match(cred.data.username, /^[a-zA-Z0-9_.-]+$/);
  t.ok(cred.data.username.length <= 63);
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'SELECT allowed');
  t.notOk(await fx.canInsert(cred.data.username, cred.data.password), 'INSERT refused');
  t.notOk(await fx.canSelect(cred.data.username, `${cred.data.password}x`), 'password plus one char refused');
  const { rows } = await fx.su('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [cred.data.username]);
  t.equal(new Date(rows[0].rolvaliduntil).getTime(), Math.ceil(cred.expiresAt / 1000) * 1000, 'VALID UNTIL the lease expiry, rounded up to the second');
});

t.test('renew extends VALID UNTIL', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const cred = await issue(engine, ctx, 'reader', fx.groupRole, { ttlMs: 600_000 });
  const validUntil = async () =>
    new Date((await fx.su('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [cred.id])).rows[0].rolvaliduntil).getTime();
  const before = await validUntil();
  const later = cred.expiresAt + 3600_000;
  await engine.updateCredential!({ credentialId: cred.id, roleName: 'reader', role: fx.groupRole, expiresAt: later }, ctx);
  const after = await validUntil();
  t.ok(after > before, 'VALID UNTIL moved later');
  t.equal(after, Math.ceil(later / 1000) * 1000, 'to the expiry, rounded up to the second');
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'still logs in');
  // custom renew statements are used when given
  const custom: DatabaseRole = { ...fx.groupRole, renew_statements: `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'` };
  await engine.updateCredential!({ credentialId: cred.id, roleName: 'reader', role: custom, expiresAt: later + 60_000 }, ctx);
  t.equal(await validUntil(), Math.ceil((later + 60_000) / 1000) * 1000, 'renew_statements ran');
});

t.test('a creation statement with a syntax error rolls back and leaves no user', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const broken: DatabaseRole = {
    db_name: 'pg',
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, 'GRANT SELECT ON items TOO "{{name}}"'],
  };
  const err = await issue(engine, ctx, 'broken', broken).then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err?.kind, 'config', 'the role is at fault: 400');
  t.match(err?.message, /syntax error/, 'the database message is passed on');
  const { rows } = await fx.su('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`${fx.tag}-%`]);
  t.same(rows, [], 'no user left behind');
  t.notOk(ctx.logLines.join('\n').includes(fx.adminPassword), 'admin password not logged');
});

t.test('revocation as a non-superuser: owned objects, table grants, open sessions', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  await fx.su(`GRANT CREATE ON SCHEMA public TO "${fx.group}"`);
  const role: DatabaseRole = {
    db_name: 'pg',
    creation_statements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "${fx.group}"`,
      // a grant on a table the admin does not own (it holds the grant option only)
      'GRANT SELECT ON items TO "{{name}}"',
    ],
  };
  const cred = await issue(engine, ctx, 'owner', role);
  const session = await fx.login(cred.data.username, cred.data.password);
  t.ok(session, 'user logs in');
  await session!.query('CREATE TABLE made_by_user (x int)');
  await session!.query('INSERT INTO made_by_user VALUES (42)');
  await engine.deleteCredential({ credentialId: cred.id, roleName: 'owner', role }, ctx);
  t.notOk(await fx.roleExists(cred.id), 'role dropped');
  t.equal(await fx.login(cred.data.username, cred.data.password), null, 'login refused');
  const kept = await fx.su('SELECT x FROM made_by_user');
  t.same(kept.rows, [{ x: 42 }], 'the user\'s table survives, reassigned');
  const owner = await fx.su("SELECT tableowner FROM pg_tables WHERE tablename = 'made_by_user'");
  t.equal(owner.rows[0].tableowner, fx.admin, 'now owned by the admin');
  const alive = await session!.query('SELECT 1').then(() => true, () => false);
  t.notOk(alive, 'the open session was terminated');
});

t.test('hostile role and display names give safe usernames that work', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const hostile = [`x"; DROP ROLE "${fx.admin}"; --`, "o'brien\\", 'Δ日本語🙂', 'a;b', '{{password}}'];
  for (const name of hostile) {
    const cred = await issue(engine, ctx, name, fx.groupRole, { displayName: name });
    t.match(cred.data.username, /^[a-zA-Z0-9_.-]+$/, `safe username for ${JSON.stringify(name)}`);
    t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'works');
    await engine.deleteCredential({ credentialId: cred.id, roleName: name, role: fx.groupRole }, ctx);
  }
  t.ok(await fx.roleExists(fx.admin), 'admin untouched');
  // A template that would produce unsafe names is refused, not quoted around.
  const bad = postgres.create();
  t.teardown(() => bad.close());
  const err = await bad.initialize({ config: { ...fx.config, username_template: 'v-{{.RoleName}}"x' }, verifyConnection: false }, ctx)
    .then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err?.kind, 'config', 'unsafe username_template refused');
  // Values in statements are quoted by context even when a statement author forgot quotes.
  const bare: DatabaseRole = { db_name: 'pg', creation_statements: `CREATE ROLE {{name}} WITH LOGIN PASSWORD {{password}} IN ROLE "${fx.group}"` };
  const cred = await issue(engine, ctx, 'bare', bare);
  t.ok(await fx.canSelect(cred.data.username, cred.data.password), 'bare placeholders are quoted');
});

t.test('a database error that echoes the password never carries it', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: { ...fx.config, password_policy: { length: 30, charset: 'Z' + 'Q' } }, verifyConnection: true }, ctx);
  // An unterminated literal: PostgreSQL quotes the text after it, password included.
  const role: DatabaseRole = { db_name: 'pg', creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}` };
  const err = await issue(engine, ctx, 'leaky', role).then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err?.kind, 'config');
  t.match(err?.message, /unterminated|syntax/);
  t.match(err?.message, /\[redacted\]/, 'password replaced');
  t.notMatch(err?.message, /[ZQ]{30}/, 'no 30-character password in the message');
});

t.test('privileges another role granted to the user: revocation names them, and login is already off', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  await engine.initialize({ config: fx.config, verifyConnection: true }, ctx);
  const cred = await issue(engine, ctx, 'reader', fx.groupRole);
  // Granted by the table's owner, not by the admin: a non-superuser cannot revoke that.
  await fx.su('CREATE TABLE foreign_grant (x int)');
  await fx.su(`GRANT SELECT ON foreign_grant TO "${cred.id}"`);
  const err = await engine.deleteCredential({ credentialId: cred.id, roleName: 'reader', role: fx.groupRole }, ctx)
    .then(() => undefined, (e: Error & { kind?: string }) => e);
  t.equal(err?.kind, 'upstream', 'retried by the reaper');
  t.match(err?.message, /foreign_grant/, 'the error names the object in the way');
  t.equal(await fx.login(cred.data.username, cred.data.password), null, 'but the user can no longer log in');
  await fx.su(`REVOKE SELECT ON foreign_grant FROM "${cred.id}"`);
  await engine.deleteCredential({ credentialId: cred.id, roleName: 'reader', role: fx.groupRole }, ctx);
  t.notOk(await fx.roleExists(cred.id), 'the retry succeeds once the grant is gone');
});
