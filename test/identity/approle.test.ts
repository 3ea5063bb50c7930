import t from 'tap';
import vault from 'node-vault';
import { testRuntime } from '../helpers/test-runtime.js';

const status = (statusCode: number) => ({ response: { statusCode } }) as unknown as Error;

t.test('AppRole end to end with node-vault', async (t) => {
  const tr = await testRuntime(t);
  const endpoint = await tr.listen();
  const admin = vault({ endpoint, token: tr.rootToken });
  await admin.addPolicy({ name: 'orders', rules: 'path "sys/key-status" { capabilities = ["read"] }' });
  await admin.addApproleRole({ role_name: 'orders', policies: 'orders', token_ttl: 1200, token_max_ttl: 3600, secret_id_ttl: 600 });

  const role = (await admin.getApproleRole({ role_name: 'orders' })).data;
  t.same(role.token_policies, ['orders']);
  t.equal(role.token_ttl, 1200);
  t.equal(role.token_max_ttl, 3600);
  t.equal(role.secret_id_ttl, 600);
  t.same((await admin.approleRoles({ kubernetesPath: 'approle' })).data.keys, ['orders']);

  const roleId = (await admin.getApproleRoleId({ role_name: 'orders' })).data.role_id;
  const secret = (await admin.getApproleRoleSecret({ role_name: 'orders', metadata: JSON.stringify({ host: 'web-1' }) })).data;
  t.match(secret.secret_id, /^[A-Za-z0-9_-]{43}$/, '256 bits of entropy');
  t.type(secret.secret_id_accessor, 'string');
  t.equal(secret.secret_id_ttl, 600);

  const service = vault({ endpoint });
  const login = await service.approleLogin({ role_id: roleId, secret_id: secret.secret_id });
  t.same(login.auth.policies, ['default', 'orders']);
  t.same(login.auth.metadata, { host: 'web-1', role_name: 'orders' });
  t.equal(login.auth.lease_duration, 1200);
  t.equal(login.auth.renewable, true);
  t.equal(service.token, login.auth.client_token, 'node-vault picked up the token');

  const self = (await service.tokenLookupSelf()).data;
  t.equal(self.path, 'auth/approle/login');
  t.equal(self.display_name, 'approle');
  t.equal(self.orphan, true);
  t.equal((await service.read('sys/key-status')).data.term, 1, 'the policy applies');
  await t.rejects(service.write('sys/rotate', {}), status(403));

  const accessors = (await admin.approleSecretAccessors({ role_name: 'orders' })).data.keys;
  t.same(accessors, [secret.secret_id_accessor]);
  const looked = (await admin.approleSecretLookup({ role_name: 'orders', secret_id: secret.secret_id })).data;
  t.same(looked.metadata, { host: 'web-1' });
  await admin.approleSecretAccessorDestroy({ role_name: 'orders', secret_id_accessor: secret.secret_id_accessor });
  await t.rejects(vault({ endpoint }).approleLogin({ role_id: roleId, secret_id: secret.secret_id }), status(400), 'destroyed secret id');

  await t.rejects(vault({ endpoint }).approleLogin({ role_id: roleId, secret_id: 'wrong' }), status(400));
  await t.rejects(vault({ endpoint }).approleLogin({ role_id: 'nope', secret_id: secret.secret_id }), status(400));
  // hvac sends the arguments a caller left out as null.
  const hvacStyle = await tr.call('POST', 'auth/approle/role/orders/secret-id', { body: { metadata: null, cidr_list: null } });
  t.equal(hvacStyle.status, 200, 'null fields count as absent');
  const other = (await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: 'x', extra: 1 } }));
  t.equal(other.status, 400, 'unknown fields refused');

  // Secret IDs are stored only as keyed hashes.
  const keys = await tr.rt.redis!.keys(`${tr.rt.keys.tag}:approle:*`);
  const dump = JSON.stringify(await Promise.all(keys.map(async (k) => [k, await tr.rt.redis!.type(k)])));
  t.notOk(dump.includes(secret.secret_id));

  await admin.deleteApproleRole({ role_name: 'orders' });
  t.equal((await tr.call('GET', 'auth/approle/role/orders')).status, 404);
});

t.test('a one-use secret ID raced by 20 logins yields exactly one token', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/approle/role/batch', { body: { token_policies: ['default'], secret_id_num_uses: 1 } });
  const roleId = (await tr.call('GET', 'auth/approle/role/batch/role-id')).body.data.role_id;
  const secretId = (await tr.call('POST', 'auth/approle/role/batch/secret-id')).body.data.secret_id;
  const endpoint = await tr.listen();
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, () => vault({ endpoint }).approleLogin({ role_id: roleId, secret_id: secretId })),
  );
  const ok = results.filter((r) => r.status === 'fulfilled');
  t.equal(ok.length, 1, 'exactly one login succeeded');
  // Refused (400), or refused unchecked (429) once five refusals locked this address out.
  t.ok(results.filter((r) => r.status === 'rejected').every((r) => [400, 429].includes((r as PromiseRejectedResult).reason.response.statusCode)));
  t.same((await tr.call('LIST', 'auth/approle/role/batch/secret-id')).body.data.keys, [], 'the used-up secret id is gone');

  const three = (await tr.call('POST', 'auth/approle/role/batch/secret-id', { body: { num_uses: 3 } })).body.data.secret_id;
  const many = await Promise.all(
    // From another address: the nineteen refusals above locked this role ID out at the first one.
    Array.from({ length: 10 }, () => tr.rt.app.inject({ method: 'POST', url: '/v1/auth/approle/login', payload: { role_id: roleId, secret_id: three }, remoteAddress: '192.0.2.33' })),
  );
  t.equal(many.filter((r) => r.statusCode === 200).length, 3, 'a three-use secret id: exactly three');
});

t.test('CIDR bindings, expiry, dev mode store', async (t) => {
  for (const devMode of [false, true]) {
    const tr = await testRuntime(t, { devMode });
    await tr.call('POST', 'auth/approle/role/net', { body: { secret_id_bound_cidrs: ['10.0.0.0/8'] } });
    const roleId = (await tr.call('GET', 'auth/approle/role/net/role-id')).body.data.role_id;
    const secretId = (await tr.call('POST', 'auth/approle/role/net/secret-id')).body.data.secret_id;
    const login = (sid: string) => tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: sid } });
    t.equal((await login(secretId)).status, 400, `role bound elsewhere (dev=${devMode})`);

    await tr.call('POST', 'auth/approle/role/net', { body: { secret_id_bound_cidrs: [] } });
    const bound = (await tr.call('POST', 'auth/approle/role/net/secret-id', { body: { cidr_list: ['192.0.2.0/24'] } })).body.data.secret_id;
    t.equal((await login(bound)).status, 400, 'secret bound elsewhere');
    t.equal((await login(secretId)).status, 200, 'unbound secret logs in');

    await tr.call('POST', 'auth/approle/role/net', { body: { token_bound_cidrs: ['10.0.0.0/8'] } });
    const token = (await login(secretId)).body.auth.client_token;
    t.equal((await tr.call('GET', 'auth/token/lookup-self', { token })).status, 403, 'token bound elsewhere');

    const brief = (await tr.call('POST', 'auth/approle/role/net/secret-id', { body: { ttl: 1 } })).body.data.secret_id;
    let s = 200;
    for (let i = 0; i < 50 && s !== 400; i++) {
      await new Promise((r) => setTimeout(r, 100));
      s = (await login(brief)).status;
    }
    t.equal(s, 400, 'an expired secret id is refused');
  }
});

t.test('a role change on one replica applies to the next login on another (roles are cached per replica)', async (t) => {
  const tr = await testRuntime(t);
  const replica = await testRuntime(t, { shareWith: tr });
  const login = (on: typeof tr, role_id: string, secret_id: string) =>
    on.call('POST', 'auth/approle/login', { token: null, body: { role_id, secret_id } });
  await tr.call('POST', 'auth/approle/role/svc', { body: { token_policies: ['alpha'] } });
  await tr.call('POST', 'auth/approle/role/other', { body: { token_policies: ['other'] } });
  const roleId = (await tr.call('GET', 'auth/approle/role/svc/role-id')).body.data.role_id;
  const secretId = (await tr.call('POST', 'auth/approle/role/svc/secret-id')).body.data.secret_id;
  const otherSecret = (await tr.call('POST', 'auth/approle/role/other/secret-id')).body.data.secret_id;

  const first = await login(replica, roleId, secretId);
  t.same(first.body.auth.policies, ['alpha', 'default'], 'the replica read the role (and now caches it)');
  t.same((await login(replica, roleId, secretId)).body.auth.policies, ['alpha', 'default'], 'from the cache');

  await tr.call('POST', 'auth/approle/role/svc', { body: { token_policies: ['beta'], token_ttl: 600 } });
  const changed = await login(replica, roleId, secretId);
  t.same(changed.body.auth.policies, ['beta', 'default'], 'a policy change applies to the next login on the other replica');
  t.equal(changed.body.auth.lease_duration, 600);

  await tr.call('POST', 'auth/approle/role/svc', { body: { secret_id_bound_cidrs: ['192.0.2.0/24'] } });
  t.equal((await login(replica, roleId, secretId)).status, 400, 'a CIDR binding applies at once');
  await tr.call('POST', 'auth/approle/role/svc', { body: { secret_id_bound_cidrs: [] } });
  t.equal((await login(replica, roleId, secretId)).status, 200, 'and so does its removal');

  // svc's role ID moves to "other": the replica's cached svc under that ID must not be used.
  await tr.call('POST', 'auth/approle/role/svc/role-id', { body: { role_id: 'svc-new' } });
  t.equal((await login(replica, roleId, secretId)).status, 400, 'the old role ID no longer logs in');
  t.equal((await login(replica, 'svc-new', secretId)).status, 200, 'the new one does');
  await tr.call('POST', 'auth/approle/role/other/role-id', { body: { role_id: roleId } });
  const moved = await login(replica, roleId, otherSecret);
  t.equal(moved.status, 200, 'the reused role ID logs into its new role');
  t.same(moved.body.auth.policies, ['default', 'other']);
  t.equal((await login(replica, roleId, secretId)).status, 400, "svc's secret ID is not one of other's");

  await replica.call('DELETE', 'auth/approle/role/svc');
  t.equal((await login(tr, 'svc-new', secretId)).status, 400, 'a role deleted on one replica is gone on the other');
});

t.test('custom-secret-id: a secret ID the caller chose logs in, once per role, with the same limits', async (t) => {
  for (const devMode of [false, true]) {
    const tr = await testRuntime(t, { devMode });
    await tr.call('POST', 'auth/approle/role/ci', { body: { token_policies: 'default' } });
    const roleId = (await tr.call('GET', 'auth/approle/role/ci/role-id')).body.data.role_id;
    const chosen = 'a-secret-id-the-pipeline-chose';
    const made = await tr.call('POST', 'auth/approle/role/ci/custom-secret-id', { body: { secret_id: chosen, num_uses: 1, metadata: { job: 'build' } } });
    t.equal(made.status, 200, JSON.stringify(made.body));
    t.equal(made.body.data.secret_id, chosen);
    t.equal(made.body.data.secret_id_num_uses, 1);
    const look = await tr.call('POST', 'auth/approle/role/ci/secret-id-accessor/lookup', { body: { secret_id_accessor: made.body.data.secret_id_accessor } });
    t.match(look.body.data, { metadata: { job: 'build' } }, `${devMode ? 'dev' : 'server'}: listed like any other`);

    const again = await tr.call('POST', 'auth/approle/role/ci/custom-secret-id', { body: { secret_id: chosen } });
    t.equal(again.status, 400, 'the same secret ID twice for one role');
    t.match(again.body.errors.join(' '), /already registered/);
    t.equal((await tr.call('POST', 'auth/approle/role/ci/custom-secret-id', { body: {} })).status, 400, 'secret_id is required');

    const login = await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: chosen } });
    t.equal(login.status, 200, 'it logs in');
    t.equal((await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: chosen } })).status, 400, 'once: num_uses applies');
  }
});
