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
