import t from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

// AppRole role names, userpass usernames and policy names are case-insensitive (stored
// lowercased, as Vault stores them). The ACL checks the lowercased name too, so a deny on a
// name holds whatever case a request spells it in, and an allow on it does the same.

async function narrowToken(tr: TestRuntime, name: string, policy: string): Promise<string> {
  t.equal((await tr.call('PUT', `sys/policies/acl/${name}`, { body: { policy } })).status, 204, `policy ${name}`);
  return (await tr.call('POST', 'auth/token/create', { body: { policies: [name] } })).body.auth.client_token as string;
}

t.test('a deny on an AppRole role holds for any case of its name', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'auth/approle/role/r1', { body: { token_policies: 'default' } })).status, 204);
  const token = await narrowToken(tr, 'approle-admin', `
    path "auth/approle/role/*" { capabilities = ["create", "read", "update", "delete", "list"] }
    path "auth/approle/role/r1*" { capabilities = ["deny"] }`);

  const write = await tr.call('POST', 'auth/approle/role/R1', { token, body: { token_policies: 'root' } });
  t.equal(write.status, 403, 'R1 is r1: the deny holds');
  for (const [method, path, body] of [
    ['GET', 'auth/approle/role/R1', undefined],
    ['DELETE', 'auth/approle/role/R1', undefined],
    ['GET', 'auth/approle/role/R1/role-id', undefined],
    ['POST', 'auth/approle/role/R1/role-id', { role_id: 'chosen-by-attacker' }],
    ['POST', 'auth/approle/role/R1/secret-id', {}],
    ['POST', 'auth/approle/role/r%31/secret-id', {}],
    ['POST', 'auth/approle/role/R1/custom-secret-id', { secret_id: 'chosen-by-attacker' }],
    ['LIST', 'auth/approle/role/R1/secret-id', undefined],
    ['POST', 'auth/approle/role/R1/secret-id-accessor/lookup', { secret_id_accessor: 'x' }],
    ['POST', 'auth/approle/role/R1/secret-id/destroy', { secret_id: 'x' }],
  ] as const) {
    t.equal((await tr.call(method, path, { token, ...(body ? { body } : {}) })).status, 403, `${method} ${path} is denied`);
  }
  const role = (await tr.call('GET', 'auth/approle/role/r1')).body.data;
  t.same(role.token_policies, ['default'], 'r1 keeps its policies');

  // The allow works the same way: a name written in capitals is the lowercased one.
  t.equal((await tr.call('POST', 'auth/approle/role/MyRole', { token, body: { token_policies: 'default' } })).status, 204, 'MyRole is allowed');
  t.same((await tr.call('LIST', 'auth/approle/role')).body.data.keys, ['myrole', 'r1'], 'and stored as myrole');
  // node-vault repeats role_name in the body; the echo of MyRole is still recognised as the path's.
  const echoed = await tr.call('POST', 'auth/approle/role/MyRole', { token, body: { role_name: 'MyRole', token_ttl: '1h' } });
  t.equal(echoed.status, 204, 'a body echoing the name as sent is accepted');
  t.equal((await tr.call('POST', 'auth/approle/role/MyRole', { token, body: { role_name: 'other' } })).status, 400, 'another name in the body is not an echo');
  const exact = await narrowToken(tr, 'myrole-reader', 'path "auth/approle/role/myrole/role-id" { capabilities = ["read"] }');
  t.equal((await tr.call('GET', 'auth/approle/role/MyRole/role-id', { token: exact })).status, 200, 'a rule on myrole grants MyRole');
});

t.test('a deny on a userpass user holds for any case of the username', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'auth/userpass/users/u1', { body: { password: 'original-password', token_policies: 'default' } })).status, 204);
  const token = await narrowToken(tr, 'userpass-admin', `
    path "auth/userpass/users/*" { capabilities = ["create", "read", "update", "delete", "list"] }
    path "auth/userpass/users/u1*" { capabilities = ["deny"] }`);

  for (const [method, path, body] of [
    ['POST', 'auth/userpass/users/U1', { password: 'attacker-password' }],
    ['POST', 'auth/userpass/users/U1/password', { password: 'attacker-password' }],
    ['POST', 'auth/userpass/users/U1/policies', { token_policies: 'root' }],
    ['GET', 'auth/userpass/users/U1', undefined],
    ['DELETE', 'auth/userpass/users/U1', undefined],
  ] as const) {
    t.equal((await tr.call(method, path, { token, ...(body ? { body } : {}) })).status, 403, `${method} ${path} is denied`);
  }
  const login = (password: string) => tr.call('POST', 'auth/userpass/login/U1', { token: null, body: { password } });
  t.equal((await login('attacker-password')).status, 400, 'the password was not changed');
  const ok = await login('original-password');
  t.equal(ok.status, 200, 'u1 logs in as U1 with the original password');
  t.same(ok.body.auth.policies, ['default']);
});

t.test('a deny on a policy name holds for any case, on both policy paths', async (t) => {
  const tr = await testRuntime(t);
  const narrow = 'path "sys/key-status" { capabilities = ["read"] }';
  t.equal((await tr.call('PUT', 'sys/policies/acl/narrow', { body: { policy: narrow } })).status, 204);
  const token = await narrowToken(tr, 'policy-admin', `
    path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }
    path "sys/policy/*" { capabilities = ["create", "read", "update", "delete", "list"] }
    path "sys/policies/acl/narrow" { capabilities = ["deny"] }
    path "sys/policy/narrow" { capabilities = ["deny"] }`);
  const wide = JSON.stringify({ path: { '*': { capabilities: ['sudo', 'create', 'read', 'update', 'delete', 'list'] } } });

  t.equal((await tr.call('PUT', 'sys/policies/acl/NARROW', { token, body: { policy: wide } })).status, 403, 'sys/policies/acl/NARROW is denied');
  t.equal((await tr.call('PUT', 'sys/policy/NARROW', { token, body: { rules: wide } })).status, 403, 'sys/policy/NARROW is denied');
  t.equal((await tr.call('DELETE', 'sys/policies/acl/Narrow', { token })).status, 403, 'delete is denied');
  t.equal((await tr.call('GET', 'sys/policies/acl/nArRoW', { token })).status, 403, 'read is denied');
  // U+212A KELVIN SIGN lowercases to an ASCII "k": the lowercased name is what gets checked.
  t.equal((await tr.call('PUT', 'sys/policies/acl/narrow-%E2%84%AA', { token: null, body: { policy: narrow } })).status, 403);
  t.equal((await tr.call('PUT', 'sys/policies/acl/narrow-k', { body: { policy: narrow } })).status, 204);
  const kelvin = await narrowToken(tr, 'kelvin-admin', `
    path "sys/policies/acl/*" { capabilities = ["create", "update"] }
    path "sys/policies/acl/narrow-k" { capabilities = ["deny"] }`);
  t.equal((await tr.call('PUT', 'sys/policies/acl/narrow-%E2%84%AA', { token: kelvin, body: { policy: wide } })).status, 403, 'a Kelvin sign K is k');
  t.equal((await tr.call('GET', 'sys/policies/acl/narrow')).body.data.policy, narrow, 'narrow is unchanged');

  t.equal((await tr.call('PUT', 'sys/policies/acl/Other', { token, body: { policy: narrow } })).status, 204, 'other names are allowed');
  t.same((await tr.call('GET', 'sys/policies/acl/OTHER', { token })).body.data, { name: 'other', policy: narrow });
});

t.test('a rule that spells a name in capitals is a rule on the lowercased name', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'auth/approle/role/r1', { body: { token_policies: 'default' } })).status, 204);
  const token = await narrowToken(tr, 'capital-deny', `
    path "auth/approle/role/*" { capabilities = ["create", "read", "update", "delete", "list"] }
    path "auth/approle/role/R1*" { capabilities = ["deny"] }
    path "auth/userpass/users/U1" { capabilities = ["deny"] }
    path "auth/userpass/users/*" { capabilities = ["create", "update"] }`);
  for (const name of ['r1', 'R1']) {
    t.equal((await tr.call('POST', `auth/approle/role/${name}`, { token, body: { token_policies: 'root' } })).status, 403, `${name} is denied`);
    t.equal((await tr.call('POST', `auth/approle/role/${name}/secret-id`, { token, body: {} })).status, 403, `${name}/secret-id is denied`);
  }
  t.equal((await tr.call('POST', 'auth/userpass/users/u1', { token, body: { password: 'attacker-password' } })).status, 403, 'u1 is denied');
  const caps = await tr.call('POST', 'sys/capabilities-self', { token, body: { paths: ['auth/approle/role/R1', 'auth/approle/role/r1/secret-id', 'auth/approle/role/MyRole', 'auth/userpass/users/U1'] } });
  t.same(caps.body.data, {
    'auth/approle/role/R1': ['deny'],
    'auth/approle/role/r1/secret-id': ['deny'],
    'auth/approle/role/MyRole': ['create', 'delete', 'list', 'read', 'update'],
    'auth/userpass/users/U1': ['deny'],
  }, 'sys/capabilities-self answers as the requests are checked');
});
