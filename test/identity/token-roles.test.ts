// Vault's token roles: an admin writes auth/token/roles/:name; a caller with update on
// auth/token/create/:name hands out tokens the role allows (policies it need not hold itself,
// orphan, periodic), and nothing past the role's limits.
import t from 'tap';
import vault from 'node-vault';
import { testRuntime } from '../helpers/test-runtime.js';

const ORCHESTRATOR = 'path "auth/token/create/app" { capabilities = ["update"] }';

t.test('roles are written, read, listed and deleted as in Vault', async (t) => {
  const tr = await testRuntime(t);
  // The Vault CLI sends lists as comma strings.
  const put = await tr.call('POST', 'auth/token/roles/app', { body: { allowed_policies: 'app,metrics', orphan: true, token_period: '1h', token_num_uses: '0' } });
  t.equal(put.status, 204, JSON.stringify(put.body));
  const got = await tr.call('GET', 'auth/token/roles/app');
  t.equal(got.status, 200);
  t.match(got.body.data, { name: 'app', allowed_policies: ['app', 'metrics'], disallowed_policies: [], orphan: true, renewable: true, token_period: 3600, period: 3600, path_suffix: '' });
  await tr.call('POST', 'auth/token/roles/app', { body: { renewable: false } });
  t.match((await tr.call('GET', 'auth/token/roles/app')).body.data, { allowed_policies: ['app', 'metrics'], renewable: false }, 'a write changes only the fields it sends');
  const client = vault({ endpoint: await tr.listen(), token: tr.rootToken });
  await client.addTokenRole({ role_name: 'other', allowed_policies: 'x,y' });
  t.same((await client.getTokenRole({ role_name: 'other' })).data.allowed_policies, ['x', 'y'], 'node-vault addTokenRole (a comma string) and getTokenRole');
  t.same((await client.tokenRoles()).data.keys, ['app', 'other'], 'and tokenRoles (GET ?list=true)');
  t.same((await tr.call('LIST', 'auth/token/roles')).body.data.keys, ['app', 'other']);

  for (const [body, why] of [
    [{ allowed_policies: ['root'] }, 'the root policy'],
    [{ token_period: 'soon' }, 'a bad period'],
    [{ token_bound_cidrs: '10.0.0.0/33' }, 'a bad CIDR'],
    [{ wat: 1 }, 'an unknown field'],
  ] as const) {
    t.equal((await tr.call('POST', 'auth/token/roles/bad', { body })).status, 400, why);
  }
  t.equal((await tr.call('GET', 'auth/token/roles/bad')).status, 404, 'nothing stored by a refused write');

  t.equal((await tr.call('DELETE', 'auth/token/roles/app')).status, 204);
  t.equal((await tr.call('GET', 'auth/token/roles/app')).status, 404);
  t.equal((await tr.call('POST', 'auth/token/create/app', { body: {} })).status, 400, 'creating through a deleted role');
});

t.test('an orchestrator hands out the role\'s policies, orphan and periodic, without holding them or sudo', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('PUT', 'sys/policies/acl/orchestrator', { body: { policy: ORCHESTRATOR } });
  await tr.call('PUT', 'sys/policies/acl/app', { body: { policy: 'path "sys/mounts" { capabilities = ["read"] }' } });
  await tr.call('POST', 'auth/token/roles/app', { body: { allowed_policies: ['app'], orphan: true, token_period: '30m', path_suffix: 'v2' } });
  const orchestrator = (await tr.call('POST', 'auth/token/create', { body: { policies: ['orchestrator'] } })).body.auth.client_token;

  // node-vault's tokenCreateRole, as a Vault client would call it.
  const client = vault({ endpoint: await tr.listen(), token: orchestrator });
  const created = await client.tokenCreateRole({ role_name: 'app' });
  const task = created.auth.client_token;
  t.same(created.auth.policies, ['app', 'default'], 'the role\'s policies, which the orchestrator does not hold');
  t.equal(created.auth.orphan, true);
  t.equal(created.auth.lease_duration, 1800, 'periodic, without sudo');
  const look = (await tr.call('GET', 'auth/token/lookup-self', { token: task })).body.data;
  t.match(look, { role: 'app', period: 1800, path: 'auth/token/create/app/v2', orphan: true });
  t.equal((await tr.call('GET', 'sys/mounts', { token: task })).status, 200, 'the task token works under its policy');

  t.equal((await tr.call('POST', 'auth/token/create/app', { token: orchestrator, body: { policies: ['orchestrator'] } })).status, 400,
    'a policy outside allowed_policies is refused, even one the caller holds');
  t.equal((await tr.call('POST', 'auth/token/create', { token: orchestrator, body: { policies: ['app'] } })).status, 403,
    'without the role the caller cannot');
  await tr.call('POST', 'auth/token/roles/other', { body: { allowed_policies: ['app'] } });
  t.equal((await tr.call('POST', 'auth/token/create/other', { token: orchestrator, body: {} })).status, 403, 'a role the caller has no grant on');

  await tr.call('POST', 'auth/token/revoke-self', { token: orchestrator });
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: task })).status, 200, 'an orphan outlives the orchestrator\'s token');

  // Renewal goes by the role as it is now (Vault's): a new period reaches the live token...
  t.equal((await tr.call('POST', 'auth/token/roles/app', { body: { token_period: '1h' } })).status, 204);
  const renewed = await tr.call('POST', 'auth/token/renew-self', { token: task, body: { increment: '10m' } });
  t.equal(renewed.status, 200);
  t.equal(renewed.body.auth.lease_duration, 3600, "the role's new period, whatever the increment");
  // ...a period taken off the role makes the token an ordinary one at its next renewal, and
  // the role's explicit max TTL as it is now caps it (Vault's authRenew: the role's values win).
  t.equal((await tr.call('POST', 'auth/token/roles/app', { body: { token_period: 0 } })).status, 204);
  const ordinary = await tr.call('POST', 'auth/token/renew-self', { token: task, body: { increment: '2h' } });
  t.equal(ordinary.body.auth.lease_duration, 7200, 'no period: the increment asked for, not the old period');
  t.equal((await tr.call('POST', 'auth/token/roles/app', { body: { token_explicit_max_ttl: '3h' } })).status, 204);
  const capped = (await tr.call('POST', 'auth/token/renew-self', { token: task, body: { increment: '5h' } })).body.auth.lease_duration;
  t.ok(capped <= 10800 && capped > 10700, `capped at 3 hours from the token's creation (${capped}s)`);
  // ...and a deleted role stops its tokens' renewals (they still work until they expire).
  await tr.call('DELETE', 'auth/token/roles/app');
  const refused = await tr.call('POST', 'auth/token/renew', { body: { token: task } });
  t.equal(refused.status, 400);
  t.match(refused.body.errors.join(' '), /original token role \(app\) could not be found, not renewing/);
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: task })).body.data.ttl > 3500, true, 'its TTL is left as it was');
});

t.test('a role\'s limits: disallowed policies, parent-bounded policies, renewable, uses, explicit max TTL', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('PUT', 'sys/policies/acl/orchestrator', { body: { policy: 'path "auth/token/create/*" { capabilities = ["update"] }' } });
  await tr.call('PUT', 'sys/policies/acl/app', { body: { policy: 'path "sys/mounts" { capabilities = ["read"] }\npath "auth/token/renew-self" { capabilities = ["update"] }' } });
  await tr.call('PUT', 'sys/policies/acl/ops', { body: { policy: 'path "sys/auth" { capabilities = ["read"] }' } });
  const orchestrator = (await tr.call('POST', 'auth/token/create', { body: { policies: ['orchestrator', 'app'] } })).body.auth.client_token;

  await tr.call('POST', 'auth/token/roles/bounded', { body: { disallowed_policies: ['orchestrator', 'default'], renewable: false, token_num_uses: 3, token_explicit_max_ttl: '10m' } });
  const refused = await tr.call('POST', 'auth/token/create/bounded', { token: orchestrator, body: { policies: ['orchestrator'] } });
  t.equal(refused.status, 400, 'a disallowed policy');
  t.match(refused.body.errors.join(' '), /disallows/);
  t.equal((await tr.call('POST', 'auth/token/create/bounded', { token: orchestrator, body: { policies: ['ops'] } })).status, 400,
    'without allowed_policies the caller\'s own policies bound the request');
  const child = await tr.call('POST', 'auth/token/create/bounded', { token: orchestrator, body: { policies: ['app'], ttl: '1h', num_uses: 10 } });
  t.equal(child.status, 200, JSON.stringify(child.body));
  t.same(child.body.auth.policies, ['app'], 'default is dropped when the role disallows it');
  t.equal(child.body.auth.renewable, false);
  t.equal(child.body.auth.num_uses, 3, 'the role\'s use limit is a ceiling');
  t.equal(child.body.auth.lease_duration, 600, 'the role\'s explicit max TTL caps the requested TTL');
  t.equal(child.body.auth.orphan, false, 'not an orphan: the role does not say so');
  const renew = await tr.call('POST', 'auth/token/renew-self', { token: child.body.auth.client_token, body: {} });
  t.equal(renew.status, 400, `and not renewable (${JSON.stringify(renew.body)})`);

  await tr.call('POST', 'auth/token/revoke-self', { token: orchestrator });
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: child.body.auth.client_token })).status, 403, 'a child goes with its parent');
  t.equal((await tr.call('POST', 'auth/token/create/nope', { body: {} })).status, 400, 'an unknown role');
});

t.test('policy globs (Vault 1.10): allowed_policies_glob and disallowed_policies_glob', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('PUT', 'sys/policies/acl/orchestrator', { body: { policy: 'path "auth/token/create/*" { capabilities = ["update"] }' } });
  const orchestrator = (await tr.call('POST', 'auth/token/create', { body: { policies: ['orchestrator'] } })).body.auth.client_token;
  const put = await tr.call('POST', 'auth/token/roles/teams', {
    body: { allowed_policies: 'base', allowed_policies_glob: 'team-*,*-reader', disallowed_policies_glob: 'team-admin*' },
  });
  t.equal(put.status, 204, JSON.stringify(put.body));
  t.match((await tr.call('GET', 'auth/token/roles/teams')).body.data,
    { allowed_policies: ['base'], allowed_policies_glob: ['team-*', '*-reader'], disallowed_policies_glob: ['team-admin*'], disallowed_policies: [] });

  const create = (role: string, policies?: string[]) => tr.call('POST', `auth/token/create/${role}`, { token: orchestrator, body: policies ? { policies } : {} });
  const ok = await create('teams', ['team-payments', 'billing-reader', 'base']);
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  t.same([...ok.body.auth.policies].sort(), ['base', 'billing-reader', 'default', 'team-payments'], 'policies matching a glob, which the caller does not hold');
  t.same([...(await create('teams')).body.auth.policies].sort(), ['base', 'default'], 'none asked: the exact list only, not the patterns');
  const admin = await create('teams', ['team-admins']);
  t.equal(admin.status, 400, 'a policy a disallowed glob matches');
  t.match(admin.body.errors.join(' '), /disallows/);
  const outside = await create('teams', ['ops']);
  t.equal(outside.status, 400, 'a policy neither listed nor matched');
  t.match(outside.body.errors.join(' '), /subset of the role's allowed policies \(base, team-\*, \*-reader\)/);
  t.equal((await create('teams', ['reader-team'])).status, 400, 'a glob is anchored at both ends');

  // Globs alone, and a disallowed glob that matches default.
  await tr.call('POST', 'auth/token/roles/apps', { body: { allowed_policies_glob: ['app-*'], disallowed_policies_glob: ['def*'] } });
  const apps = await create('apps', ['app-orders']);
  t.equal(apps.status, 200, JSON.stringify(apps.body));
  t.same(apps.body.auth.policies, ['app-orders'], 'default is dropped when a disallowed glob matches it');
  t.same((await create('apps')).body.auth.policies, [], 'globs alone and none asked: no policy but what was asked');
  const root = await create('apps', ['root']);
  t.equal(root.status, 400, 'root is never handed out through a pattern by a non-root caller');
});
