// Vault's response wrapping, as the CLI's -wrap-ttl and node-vault use it: the answer is kept
// under a single-use wrapping token, the caller gets only that token, and unwrapping hands the
// answer out exactly once.
import t from 'tap';
import vault from 'node-vault';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('a wrapped secret ID: only a wrapping token comes back, and it unwraps once', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/approle/role/ci', { body: { token_policies: ['default'] } });
  const wrapped = await tr.call('POST', 'auth/approle/role/ci/secret-id', { headers: { 'x-vault-wrap-ttl': '60s' } });
  t.equal(wrapped.status, 200, JSON.stringify(wrapped.body));
  t.equal(wrapped.body.data, null, 'no data in the answer');
  t.notOk(JSON.stringify(wrapped.body).includes('secret_id"'), 'no secret ID anywhere in it');
  const info = wrapped.body.wrap_info;
  t.match(info, { ttl: 60, creation_path: 'auth/approle/role/ci/secret-id', accessor: /\S/ });
  t.match(info.token, /^lsr\./);

  const look = await tr.call('POST', 'sys/wrapping/lookup', { token: null, body: { token: info.token } });
  t.equal(look.status, 200, 'lookup needs no token');
  t.match(look.body.data, { creation_path: 'auth/approle/role/ci/secret-id', creation_ttl: 60 });

  const client = vault({ endpoint: await tr.listen(), token: info.token });
  const unwrapped = await client.unwrap();
  t.match(unwrapped.data, { secret_id: /\S/, secret_id_accessor: /\S/ }, 'node-vault unwrap() gets the original answer');
  const roleId = (await tr.call('GET', 'auth/approle/role/ci/role-id')).body.data.role_id;
  const login = await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: unwrapped.data.secret_id } });
  t.equal(login.status, 200, 'the unwrapped secret ID logs in');

  const again = await tr.call('POST', 'sys/wrapping/unwrap', { token: info.token });
  t.equal(again.status, 403, 'a second unwrap with the spent token is refused');
  const byBody = await tr.call('POST', 'sys/wrapping/unwrap', { body: { token: info.token } });
  t.equal(byBody.status, 400, 'and by body');
  t.match(byBody.body.errors.join(' '), /wrapping token is not valid/);
  t.equal((await tr.call('POST', 'sys/wrapping/lookup', { token: null, body: { token: info.token } })).status, 400, 'lookup of a spent token');
});

t.test('unwrap with the wrapping token in the body; a wrapping token can do nothing else', async (t) => {
  const tr = await testRuntime(t);
  const plain = (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  const created = await tr.call('POST', 'auth/token/create', { headers: { 'x-vault-wrap-ttl': '5m' }, body: { policies: ['default'], ttl: '1h' } });
  t.equal(created.body.auth, null, 'the new token is wrapped too');
  const info = created.body.wrap_info;
  t.equal(info.ttl, 300);
  t.equal((await tr.call('GET', 'sys/mounts', { token: info.token })).status, 403, 'the wrapping token has only the response-wrapping policy');

  const other = await tr.call('POST', 'auth/token/create', { headers: { 'x-vault-wrap-ttl': '5m' }, body: { policies: ['default'] } });
  const unwrapped = await tr.call('POST', 'sys/wrapping/unwrap', { token: plain, body: { token: other.body.wrap_info.token } });
  t.equal(unwrapped.status, 200, 'the default policy may unwrap a token it was handed');
  t.match(unwrapped.body.auth.client_token, /^lsr\./);
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: unwrapped.body.auth.client_token })).status, 200, 'and the unwrapped token works');
  t.equal((await tr.call('POST', 'sys/wrapping/unwrap', { token: plain, body: { token: other.body.wrap_info.token } })).status, 400, 'once');
  t.equal((await tr.call('POST', 'sys/wrapping/unwrap', { token: plain })).status, 400, 'an ordinary token is not a wrapping token');
});

t.test('a bad X-Vault-Wrap-TTL is a 400 that changes nothing; errors are not wrapped', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/approle/role/ci', { body: { token_policies: ['default'] } });
  const once = (await tr.call('POST', 'auth/token/create', { body: { num_uses: 1 } })).body.auth.client_token;
  for (const ttl of ['soon', '0', '-5']) {
    const r = await tr.call('POST', 'auth/approle/role/ci/secret-id', { headers: { 'x-vault-wrap-ttl': ttl } });
    t.equal(r.status, 400, `TTL "${ttl}"`);
  }
  const accessors = async () => (await tr.call('LIST', 'auth/approle/role/ci/secret-id')).body?.data?.keys ?? [];
  t.same(await accessors(), [], 'no secret ID was generated');
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: once, headers: { 'x-vault-wrap-ttl': 'x' } })).status, 400);
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: once })).status, 200, 'the refused request took no token use');
  const missing = await tr.call('GET', 'database/creds/nope', { headers: { 'x-vault-wrap-ttl': '60s' } });
  t.ok(missing.status >= 400, `an error answers as an error (${missing.status})`);
  t.ok(Array.isArray(missing.body.errors), 'with its message');
  t.equal(missing.body.wrap_info, undefined, 'not wrapped');
});

t.test('an app without a wrapper refuses wrapping rather than answering in clear', async (t) => {
  const app = await buildApp({ log: createLogger('silent'), metrics: createMetrics(), health: [], access: { authenticate: async () => ({ tokenId: 'x', accessor: 'a', ancestors: [], policies: ['root'], entityName: '', displayName: '', metadata: {}, isRoot: true }), authorize: () => true } as never });
  t.teardown(() => app.close());
  const r = await app.inject({ method: 'GET', url: '/v1/sys/health', headers: { 'x-vault-wrap-ttl': '60s' } });
  t.equal(r.statusCode, 400);
  t.match(r.json().errors.join(' '), /not supported/);
});

t.test('wrapping in lessor dev (in-process store)', async (t) => {
  const tr = await testRuntime(t, { devMode: true });
  const wrapped = await tr.call('POST', 'auth/token/create', { headers: { 'x-vault-wrap-ttl': '1m' }, body: { policies: ['default'] } });
  t.equal(wrapped.status, 200);
  const out = await tr.call('POST', 'sys/wrapping/unwrap', { token: wrapped.body.wrap_info.token });
  t.equal(out.status, 200);
  t.match(out.body.auth.client_token, /^lsr\./);
  t.equal((await tr.call('POST', 'sys/wrapping/unwrap', { body: { token: wrapped.body.wrap_info.token } })).status, 400, 'once');
});

t.test('sys/wrapping/wrap keeps the caller\'s own data; without a wrap TTL it is a 400', async (t) => {
  const tr = await testRuntime(t);
  const plain = (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  const refused = await tr.call('POST', 'sys/wrapping/wrap', { token: plain, body: { foo: 'bar' } });
  t.equal(refused.status, 400, 'no X-Vault-Wrap-TTL');
  t.match(refused.body.errors.join(' '), /wrap TTL/);

  const wrapped = await tr.call('POST', 'sys/wrapping/wrap', { token: plain, headers: { 'x-vault-wrap-ttl': '90s' }, body: { foo: 'bar', zip: 'zap' } });
  t.equal(wrapped.status, 200, 'the default policy may wrap, as in Vault');
  t.equal(wrapped.body.data, null);
  t.match(wrapped.body.wrap_info, { ttl: 90, creation_path: 'sys/wrapping/wrap' });
  const out = await tr.call('POST', 'sys/wrapping/unwrap', { token: wrapped.body.wrap_info.token });
  t.equal(out.status, 200);
  t.same(out.body.data, { foo: 'bar', zip: 'zap' }, 'unwrapping gives back exactly what was wrapped');
});

t.test('sys/wrapping/rewrap: a new token with the same answer, TTL and path; the old one stops working', async (t) => {
  const tr = await testRuntime(t);
  const plain = (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  const wrap = async () => (await tr.call('POST', 'sys/wrapping/wrap', { headers: { 'x-vault-wrap-ttl': '10m' }, body: { pass: 'word' } })).body.wrap_info;

  const first = await wrap();
  t.equal((await tr.call('POST', 'sys/wrapping/rewrap', { token: plain, body: { token: first.token } })).status, 403,
    'the default policy may not rewrap (Vault\'s neither)');
  const self = await tr.call('POST', 'sys/wrapping/rewrap', { token: first.token, headers: { 'x-vault-wrap-ttl': '1m' } });
  t.equal(self.status, 200, 'a wrapping token may rewrap itself');
  const next = self.body.wrap_info;
  t.not(next.token, first.token);
  t.match(next, { ttl: 600, creation_path: 'sys/wrapping/wrap' }, 'the original TTL and path, whatever wrap TTL the request sent');
  t.equal((await tr.call('POST', 'sys/wrapping/lookup', { token: null, body: { token: first.token } })).status, 400, 'the old token is spent');
  t.equal((await tr.call('POST', 'sys/wrapping/unwrap', { body: { token: first.token } })).status, 400, 'and unwraps nothing');

  const byBody = await tr.call('POST', 'sys/wrapping/rewrap', { body: { token: next.token } });
  t.equal(byBody.status, 200, 'a token allowed on the path rewraps one it was handed');
  const out = await tr.call('POST', 'sys/wrapping/unwrap', { token: byBody.body.wrap_info.token });
  t.same(out.body.data, { pass: 'word' }, 'the answer survives two rewraps');

  const raced = await wrap();
  const both = await Promise.all([1, 2].map(() => tr.call('POST', 'sys/wrapping/rewrap', { body: { token: raced.token } })));
  t.same(both.map((r) => r.status).sort(), [200, 400], 'of two racing rewraps one wins');
  const winner = both.find((r) => r.status === 200)!.body.wrap_info.token;
  t.same((await tr.call('POST', 'sys/wrapping/unwrap', { token: winner })).body.data, { pass: 'word' }, 'and holds the answer');
});
