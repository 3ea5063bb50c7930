import t from 'tap';
import vault from 'node-vault';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('policies through node-vault: addPolicy, getPolicy, read, list, removePolicy', async (t) => {
  const tr = await testRuntime(t);
  const endpoint = await tr.listen();
  const root = vault({ endpoint, token: tr.rootToken });

  const hcl = 'path "sys/key-status" {\n  capabilities = ["read"]\n}\n';
  await root.addPolicy({ name: 'ops', rules: hcl });
  const got = await root.getPolicy({ name: 'ops' });
  t.equal(got.data.rules, hcl, 'legacy path returns the text as rules');
  const read = await root.read('sys/policies/acl/ops');
  t.same(read.data, { name: 'ops', policy: hcl });
  const listed = await root.list('sys/policies/acl');
  t.same(listed.data.keys, ['default', 'ops', 'root']);
  const legacyList = await root.policies();
  t.ok(legacyList.data.keys.includes('ops'));

  const json = JSON.stringify({ path: { 'auth/token/lookup': { capabilities: ['update'] } } });
  await root.write('sys/policies/acl/Looker', { policy: json });
  t.same((await root.read('sys/policies/acl/looker')).data, { name: 'looker', policy: json }, 'names are lowercased');

  t.equal((await tr.call('GET', 'sys/policies/acl/default')).status, 200, 'the default policy is readable');
  t.equal((await tr.call('DELETE', 'sys/policies/acl/default')).status, 400, 'and cannot be deleted');
  t.equal((await tr.call('PUT', 'sys/policies/acl/root', { body: { policy: '{}' } })).status, 400, 'root cannot be changed');
  const bad = await tr.call('PUT', 'sys/policies/acl/bad', { body: { policy: 'path "x" { capabilities = ["fly"] }' } });
  t.equal(bad.status, 400);
  t.match(bad.body.errors[0], /unknown capability "fly"/);
  t.equal((await tr.call('PUT', 'sys/policies/acl/x', { body: { policy: '{}', extra: 1 } })).status, 400, 'unknown field');
  t.equal((await tr.call('GET', 'sys/policies/acl/bad')).status, 404, 'nothing was written');

  await root.removePolicy({ name: 'ops' });
  t.equal((await tr.call('GET', 'sys/policies/acl/ops')).status, 404);
});

t.test('policies are enforced; deny wins over allow; changes apply on every replica at once', async (t) => {
  const tr = await testRuntime(t);
  const replica = await testRuntime(t, { shareWith: tr });
  await tr.call('PUT', 'sys/policies/acl/reader', {
    body: { policy: JSON.stringify({ path: { 'sys/key-status': { capabilities: ['read'] }, 'sys/policies/acl/*': { capabilities: ['read', 'list'] } } }) },
  });
  const token = (await tr.call('POST', 'auth/token/create', { body: { policies: ['reader', 'blocker'] } })).body.auth.client_token;

  t.equal((await replica.call('GET', 'sys/key-status', { token })).status, 200, 'allowed by reader');
  t.equal((await replica.call('GET', 'sys/policies/acl/reader', { token })).status, 200);
  t.equal((await replica.call('PUT', 'sys/policies/acl/reader', { token, body: { policy: '{}' } })).status, 403, 'read is not update');
  t.equal((await replica.call('POST', 'sys/rotate', { token })).status, 403, 'deny by default');

  // Another policy of the same token denies the same path: deny wins, on the other replica too.
  await tr.call('PUT', 'sys/policies/acl/blocker', { body: { policy: 'path "sys/key-status" { capabilities = ["deny"] }' } });
  t.equal((await replica.call('GET', 'sys/key-status', { token })).status, 403, 'deny wins');
  t.equal((await tr.call('GET', 'sys/key-status', { token })).status, 403);

  const caps = await tr.call('POST', 'sys/capabilities-self', { token, body: { paths: ['sys/key-status', 'sys/policies/acl/x', 'nowhere'] } });
  t.same(caps.body.data, { 'sys/key-status': ['deny'], 'sys/policies/acl/x': ['list', 'read'], nowhere: ['deny'] }, 'capabilities-self');
  await replica.call('DELETE', 'sys/policies/acl/blocker');
  t.equal((await tr.call('GET', 'sys/key-status', { token })).status, 200, 'deleting the deny restores access everywhere');
});

t.test('sys/capabilities and capabilities-accessor answer for another token; paths may be a comma list', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('PUT', 'sys/policies/acl/app', { body: { policy: 'path "database/creds/app" { capabilities = ["read"] }\npath "sys/*" { capabilities = ["deny"] }' } });
  const app = (await tr.call('POST', 'auth/token/create', { body: { policies: ['app'] } })).body.auth;
  const want = { 'database/creds/app': ['read'], 'sys/mounts': ['deny'] };
  const byToken = await tr.call('POST', 'sys/capabilities', { body: { token: app.client_token, paths: 'database/creds/app,sys/mounts' } });
  t.equal(byToken.status, 200, JSON.stringify(byToken.body));
  t.same(byToken.body.data, want, 'by token, "a,b" as the Vault CLI sends it');
  const byAccessor = await tr.call('PUT', 'sys/capabilities-accessor', { body: { accessor: app.accessor, paths: ['database/creds/app', 'sys/mounts'] } });
  t.same(byAccessor.body.data, want, 'by accessor');
  const one = await tr.call('POST', 'sys/capabilities', { body: { token: app.client_token, path: 'database/creds/app' } });
  t.same(one.body.data.capabilities, ['read'], 'one path: also under "capabilities"');
  t.same((await tr.call('POST', 'sys/capabilities', { body: { token: tr.rootToken, paths: ['anything'] } })).body.data.anything, ['root']);
  const self = await tr.call('POST', 'sys/capabilities-self', { token: app.client_token, body: { paths: 'database/creds/app, sys/mounts' } });
  t.same(self.body.data, want, 'capabilities-self takes the comma list too');

  t.equal((await tr.call('POST', 'sys/capabilities', { body: { token: 'lsr.nope', paths: ['x'] } })).status, 403, 'unknown token');
  t.equal((await tr.call('POST', 'sys/capabilities-accessor', { body: { accessor: 'nope', paths: ['x'] } })).status, 400, 'unknown accessor');
  t.equal((await tr.call('POST', 'sys/capabilities', { body: { token: app.client_token } })).status, 400, 'no paths');
  // Asking about another token is an admin's question: the default policy only answers for oneself.
  const plain = (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  t.equal((await tr.call('POST', 'sys/capabilities', { token: plain, body: { token: tr.rootToken, paths: ['x'] } })).status, 403);
  t.equal((await tr.call('POST', 'sys/capabilities-self', { token: plain, body: { paths: ['x'] } })).status, 200);
});

t.test('policies in dev mode (in-process stores)', async (t) => {
  const tr = await testRuntime(t, { devMode: true });
  await tr.call('PUT', 'sys/policy/reader', { body: { policy: 'path "sys/key-status" { capabilities = ["read"] }' } });
  const token = (await tr.call('POST', 'auth/token/create', { body: { policies: ['reader'] } })).body.auth.client_token;
  t.equal((await tr.call('GET', 'sys/key-status', { token })).status, 200);
  await tr.call('PUT', 'sys/policy/reader', { body: { policy: 'path "sys/key-status" { capabilities = ["deny"] }' } });
  t.equal((await tr.call('GET', 'sys/key-status', { token })).status, 403);
});

t.test('a Vault policy on "x/*" or on "x" grants `vault list x`, as in Vault', async (t) => {
  const tr = await testRuntime(t);
  const endpoint = await tr.listen();
  const make = async (name: string, policy: string) => {
    await tr.call('PUT', `sys/policies/acl/${name}`, { body: { policy } });
    return (await tr.call('POST', 'auth/token/create', { body: { policies: [name] } })).body.auth.client_token as string;
  };
  // The two shapes Vault's docs use for listing, in HCL as operators write them.
  const byGlob = await make('by-glob', 'path "sys/policies/acl/*" {\n  capabilities = ["read", "list"]\n}\n');
  const byExact = await make('by-exact', 'path "sys/policies/acl" {\n  capabilities = ["list"]\n}\n');
  const readOnly = await make('read-only', 'path "sys/policies/acl/*" {\n  capabilities = ["read"]\n}\n');
  const want = ['by-exact', 'by-glob', 'default', 'read-only', 'root'];

  for (const [name, token] of [['x/*', byGlob], ['x', byExact]]) {
    const listed = await vault({ endpoint, token }).list('sys/policies/acl');
    t.same(listed.data.keys, want, `node-vault list with a policy on ${name}`);
    const asQuery = await tr.call('GET', 'sys/policies/acl?list=true', { token });
    t.equal(asQuery.status, 200, `GET ?list=true with a policy on ${name}`);
    t.equal((await tr.call('LIST', 'sys/policies/acl/', { token })).status, 200, `LIST with a trailing slash, policy on ${name}`);
  }
  t.equal((await tr.call('GET', 'sys/policies/acl/by-glob', { token: byExact })).status, 403, 'an exact "x" grants nothing under x');
  t.equal((await tr.call('LIST', 'sys/policies/acl', { token: readOnly })).status, 403, 'read alone does not grant list');
  t.equal((await tr.call('GET', 'sys/policies/acl/by-glob', { token: readOnly })).status, 200);

  const caps = await tr.call('POST', 'sys/capabilities-self', { token: byGlob, body: { paths: ['sys/policies/acl/', 'sys/policies/acl'] } });
  t.same(caps.body.data, { 'sys/policies/acl/': ['list', 'read'], 'sys/policies/acl': ['deny'] }, 'capabilities of "x/" are those of a LIST, as in Vault');
});

t.test("a Vault KV policy naming patch loads; capabilities come back sorted, as Vault's", async (t) => {
  const tr = await testRuntime(t);
  // The shape Vault's KV v2 docs and most existing policies use.
  const kv = 'path "sys/policies/acl/*" {\n  capabilities = ["create", "read", "update", "patch", "delete", "list"]\n}\n';
  const put = await tr.call('PUT', 'sys/policies/acl/kv-admin', { body: { policy: kv } });
  t.equal(put.status, 204, JSON.stringify(put.body));
  const token = (await tr.call('POST', 'auth/token/create', { body: { policies: ['kv-admin'] } })).body.auth.client_token;
  const caps = await tr.call('POST', 'sys/capabilities-self', { token, body: { path: 'sys/policies/acl/x' } });
  t.same(caps.body.data.capabilities, ['create', 'delete', 'list', 'patch', 'read', 'update']);
  t.equal((await tr.call('PUT', 'sys/policies/acl/other', { token, body: { policy: '{}' } })).status, 204, 'the other capabilities still grant');
});
