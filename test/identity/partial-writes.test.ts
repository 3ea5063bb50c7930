// Two partial writes of one role at once (Vault's "fields not sent keep their value") must both
// land. The test holds the row's lock itself, so both writes are under way at the same time and
// wait on it; once it lets go, a write that merged over what it read before the other landed
// would put back the other's fields.
import t, { type Test } from 'tap';
import { whileHolding } from '../helpers/lock-holder.js';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

interface Case {
  name: string;
  table: string;
  key: string;
  path: string;
  create: Record<string, unknown>;
  a: Record<string, unknown>;
  b: Record<string, unknown>;
  check(t: Test, data: Record<string, any>): void;
}

const cases: Case[] = [
  {
    name: 'token role', table: 'token_roles', key: 'ci', path: 'auth/token/roles/ci',
    create: { allowed_policies: ['base'] }, a: { allowed_policies: ['base', 'deploy'] }, b: { orphan: true },
    check(t, d) {
      t.same(d.allowed_policies, ['base', 'deploy'], "the first write's field");
      t.equal(d.orphan, true, "the second write's field");
    },
  },
  {
    name: 'AppRole role', table: 'approle_roles', key: 'orders', path: 'auth/approle/role/orders',
    create: { token_policies: ['base'] }, a: { token_policies: ['orders'] }, b: { secret_id_num_uses: 5 },
    check(t, d) {
      t.same(d.token_policies, ['orders'], "the first write's field");
      t.equal(d.secret_id_num_uses, 5, "the second write's field");
    },
  },
  {
    name: 'userpass user', table: 'userpass_users', key: 'hana', path: 'auth/userpass/users/hana',
    create: { password: 'correct horse battery staple' }, a: { token_policies: ['ops'] }, b: { token_ttl: 1200 },
    check(t, d) {
      t.same(d.token_policies, ['ops'], "the first write's field");
      t.equal(d.token_ttl, 1200, "the second write's field");
    },
  },
  {
    name: 'JWT role', table: 'jwt_auth_roles', key: 'k8s', path: 'auth/jwt/role/k8s',
    create: { role_type: 'jwt', user_claim: 'sub', bound_audiences: ['lessor'] }, a: { bound_subject: 'system:serviceaccount:app:api' }, b: { token_policies: ['app'] },
    check(t, d) {
      t.equal(d.bound_subject, 'system:serviceaccount:app:api', "the first write's field");
      t.same(d.token_policies, ['app'], "the second write's field");
    },
  },
  {
    name: 'api-key role', table: 'engine_roles', key: 'orders', path: 'apikey/roles/orders',
    create: { key_prefix: 'acme', default_ttl: '1h' }, a: { scopes: ['orders:read'] }, b: { max_ttl: '3h' },
    check(t, d) {
      t.same(d.scopes, ['orders:read'], "the first write's field");
      t.equal(d.max_ttl, 10800, "the second write's field");
      t.equal(d.key_prefix, 'acme', 'and what neither named');
    },
  },
];

t.test('two partial writes of one role at once both land', async (t) => {
  const tr = await testRuntime(t);
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      t.equal((await tr.call('POST', c.path, { body: c.create })).status, 204, 'created');
      let first!: ReturnType<TestRuntime['call']>;
      let second!: ReturnType<TestRuntime['call']>;
      const bothWaiting = await whileHolding(tr, `SELECT 1 FROM ${c.table} WHERE name = $1 FOR UPDATE`, [c.key], () => [
        first = tr.call('POST', c.path, { body: c.a }),
        second = tr.call('POST', c.path, { body: c.b }),
      ]);
      t.ok(bothWaiting, 'both writes were under way at once');
      t.equal((await first).status, 204);
      t.equal((await second).status, 204);
      const read = await tr.call('GET', c.path);
      t.equal(read.status, 200);
      c.check(t, read.body.data);
    });
  }
});

t.test('two writes creating one role at once: the second merges over the first', async (t) => {
  const tr = await testRuntime(t);
  // SHARE mode lets both writes look for the row (and find none) but holds up their inserts.
  let writes!: Promise<{ status: number }>[];
  const bothWaiting = await whileHolding(tr, 'LOCK TABLE token_roles IN SHARE MODE', [], () => (writes = [
    tr.call('POST', 'auth/token/roles/new', { body: { allowed_policies: ['a'] } }),
    tr.call('POST', 'auth/token/roles/new', { body: { orphan: true } }),
  ]));
  t.ok(bothWaiting, 'both creates were under way at once');
  t.same((await Promise.all(writes)).map((w) => w.status), [204, 204]);
  const d = (await tr.call('GET', 'auth/token/roles/new')).body.data;
  t.same(d.allowed_policies, ['a'], 'neither create undoes the other');
  t.equal(d.orphan, true);
});

t.test('lessor dev (embedded PGlite): partial writes at once land one after the other', async (t) => {
  const tr = await testRuntime(t, { devMode: true });
  for (const c of cases) {
    t.equal((await tr.call('POST', c.path, { body: c.create })).status, 204, `${c.name} created`);
    const writes = await Promise.all([tr.call('POST', c.path, { body: c.a }), tr.call('POST', c.path, { body: c.b })]);
    t.same(writes.map((w) => w.status), [204, 204]);
    c.check(t, (await tr.call('GET', c.path)).body.data);
  }
});

t.test('a database role update keeps what it does not name (vault write database/roles/r default_ttl=2h)', async (t) => {
  for (const devMode of [false, true]) await t.test(devMode ? 'lessor dev (embedded PGlite)' : 'lessor server', (t) => databaseRoleUpdate(t, devMode));
});

async function databaseRoleUpdate(t: Test, devMode: boolean) {
  const tr = await testRuntime(t, { devMode });
  const config = await tr.call('POST', 'database/config/pg', {
    body: { plugin_name: 'postgresql-database-plugin', connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/x', username: 'admin', password: 'unused', verify_connection: false, allowed_roles: '*' },
  });
  t.equal(config.status, 204);
  const creation = ['CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\' VALID UNTIL \'{{expiration}}\' IN ROLE app_read'];
  const revocation = ['DROP ROLE IF EXISTS "{{name}}"'];
  t.equal((await tr.call('POST', 'database/roles/app', {
    body: { db_name: 'pg', creation_statements: creation, revocation_statements: revocation, default_ttl: '1h', max_ttl: '24h' },
  })).status, 204);
  t.equal((await tr.call('POST', 'database/roles/app', { body: { default_ttl: '2h' } })).status, 204, 'a partial update is accepted');
  const d = (await tr.call('GET', 'database/roles/app')).body.data;
  t.same([d.db_name, d.creation_statements, d.revocation_statements, d.default_ttl, d.max_ttl], ['pg', creation, revocation, 7200, 86400]);

  const bad = await tr.call('POST', 'database/roles/app', { body: { db_name: 'nowhere', default_ttl: '3h' } });
  t.equal(bad.status, 400, 'an update that makes the role invalid is refused');
  t.match(bad.body.errors[0], /config "nowhere" does not exist/);
  const after = (await tr.call('GET', 'database/roles/app')).body.data;
  t.same([after.db_name, after.default_ttl], ['pg', 7200], 'and changes nothing');
  t.equal((await tr.call('POST', 'database/roles/fresh', { body: { default_ttl: '2h' } })).status, 400, 'a new role still needs its required fields');
  t.equal((await tr.call('GET', 'database/roles/fresh')).status, 404);
}
