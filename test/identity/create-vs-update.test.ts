// Vault's create/update split, which operators' policies rely on: on a path with an existence
// check (roles, users, configs) writing a new object needs `create` and changing an existing
// one needs `update`; on any other path a write needs `update`. A refused write changes nothing.
import t from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

const existenceChecked: Array<{ base: string; body: object; changed: object }> = [
  { base: 'apikey/roles', body: { key_prefix: 'acme', default_ttl: '1h' }, changed: { key_prefix: 'other', default_ttl: '2h' } },
  { base: 'auth/approle/role', body: { token_ttl: '1h' }, changed: { token_ttl: '2h' } },
  { base: 'auth/userpass/users', body: { password: 'a long enough password', token_ttl: '1h' }, changed: { token_ttl: '2h' } },
  { base: 'auth/token/roles', body: { token_period: '1h' }, changed: { token_period: '2h' } },
  { base: 'auth/jwt/role', body: { role_type: 'jwt', user_claim: 'sub', bound_audiences: ['lessor'], token_ttl: '1h' }, changed: { token_ttl: '2h' } },
  {
    base: 'database/config',
    body: { plugin_name: 'postgresql-database-plugin', connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/x', username: 'admin', password: 'not-checked', verify_connection: false, allowed_roles: ['a'] },
    changed: { allowed_roles: ['b'], verify_connection: false },
  },
];

async function tokenWith(tr: TestRuntime, name: string, policy: string): Promise<string> {
  const put = await tr.call('PUT', `sys/policies/acl/${name}`, { body: { policy } });
  if (put.status !== 204) throw new Error(`policy ${name}: ${put.status} ${JSON.stringify(put.body)}`);
  return (await tr.call('POST', 'auth/token/create', { body: { policies: [name] } })).body.auth.client_token;
}

t.test('create writes new objects only, update changes existing ones only, as in Vault', async (t) => {
  const tr = await testRuntime(t);
  for (const { base, body, changed } of existenceChecked) {
    const creator = await tokenWith(tr, `creator-${base.replace(/\//g, '-')}`, `path "${base}/*" { capabilities = ["create", "read"] }`);
    const updater = await tokenWith(tr, `updater-${base.replace(/\//g, '-')}`, `path "${base}/*" { capabilities = ["update", "read"] }`);

    const made = await tr.call('POST', `${base}/made`, { token: creator, body });
    t.equal(made.status, 204, `${base}: create may write a new one ${JSON.stringify(made.body)}`);
    const before = (await tr.call('GET', `${base}/made`)).body.data;
    t.ok(before, `${base}: it exists`);

    t.equal((await tr.call('POST', `${base}/made`, { token: creator, body: changed })).status, 403, `${base}: create may not change an existing one`);
    t.same((await tr.call('GET', `${base}/made`)).body.data, before, `${base}: the refused write changed nothing`);

    t.equal((await tr.call('PUT', `${base}/fresh`, { token: updater, body })).status, 403, `${base}: update may not write a new one`);
    t.equal((await tr.call('GET', `${base}/fresh`)).status, 404, `${base}: nothing was made`);

    t.equal((await tr.call('PUT', `${base}/made`, { token: updater, body: changed })).status, 204, `${base}: update may change an existing one`);
    t.notSame((await tr.call('GET', `${base}/made`)).body.data, before, `${base}: and it changed`);
  }
  const config = (await tr.call('GET', 'database/config/made')).body.data;
  t.same([config.plugin_name, config.allowed_roles], ['postgres', ['b']], 'a config update without plugin_name keeps the stored plugin, as in Vault');
});

t.test('a write to a path without an existence check needs update, as in Vault', async (t) => {
  const tr = await testRuntime(t);
  const creator = await tokenWith(tr, 'creator', 'path "sys/policies/acl/*" { capabilities = ["create", "read"] }');
  const updater = await tokenWith(tr, 'updater', 'path "sys/policies/acl/*" { capabilities = ["update", "read"] }');
  const policy = 'path "sys/key-status" { capabilities = ["read"] }';
  t.equal((await tr.call('PUT', 'sys/policies/acl/new-one', { token: creator, body: { policy } })).status, 403, 'create alone does not write a policy');
  t.equal((await tr.call('GET', 'sys/policies/acl/new-one')).status, 404, 'nothing was written');
  t.equal((await tr.call('PUT', 'sys/policies/acl/new-one', { token: updater, body: { policy } })).status, 204, 'update does');

  const tokenCreator = await tokenWith(tr, 'token-creator', 'path "auth/token/create" { capabilities = ["create"] }');
  t.equal((await tr.call('POST', 'auth/token/create', { token: tokenCreator, body: {} })).status, 403, 'auth/token/create takes update');
});
