// An anonymous caller cannot make lessor keep anything: X-Vault-Wrap-TTL on an unauthenticated
// route (health, seal-status, the JWKS, wrapping lookup) is answered in clear and creates no
// wrapping token, as Vault's health and seal-status handlers ignore it. A login that succeeds is
// still wrapped (Vault wraps the token a login issues). A wrap TTL above the max TTL is a 400.
import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('public routes do not wrap; logins do; the wrap TTL is capped', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'jwt/keys/main', { body: { algorithm: 'ES256' } });
  const accessors = async () => ((await tr.call('LIST', 'auth/token/accessors')).body.data.keys as string[]).length;
  const before = await accessors();

  for (const path of ['sys/health', 'sys/seal-status', 'jwt/.well-known/jwks.json']) {
    const r = await tr.call('GET', path, { token: null, headers: { 'x-vault-wrap-ttl': '768h' } });
    t.equal(r.status, 200, path);
    t.notOk(r.body.wrap_info, `${path} is answered in clear`);
  }
  const lookup = await tr.call('POST', 'sys/wrapping/lookup', { token: null, headers: { 'x-vault-wrap-ttl': '768h' }, body: { token: 'lsr.nope' } });
  t.equal(lookup.status, 400);
  t.equal(await accessors(), before, 'no wrapping token was created');

  await tr.call('POST', 'auth/approle/role/ci', { body: { token_policies: ['default'] } });
  const roleId = (await tr.call('GET', 'auth/approle/role/ci/role-id')).body.data.role_id;
  const secretId = (await tr.call('POST', 'auth/approle/role/ci/secret-id')).body.data.secret_id;
  const afterSetup = await accessors();
  const refused = await tr.call('POST', 'auth/approle/login', { token: null, headers: { 'x-vault-wrap-ttl': '5m' }, body: { role_id: roleId, secret_id: 'wrong' } });
  t.equal(refused.status, 400, 'a failed login is not wrapped');
  t.equal(await accessors(), afterSetup, 'and creates no wrapping token');

  const login = await tr.call('POST', 'auth/approle/login', { token: null, headers: { 'x-vault-wrap-ttl': '5m' }, body: { role_id: roleId, secret_id: secretId } });
  t.equal(login.status, 200);
  t.equal(login.body.auth, null, 'the issued token is not in the answer');
  t.equal(login.body.wrap_info.ttl, 300);
  const out = await tr.call('POST', 'sys/wrapping/unwrap', { token: login.body.wrap_info.token });
  t.match(out.body.auth.client_token, /^lsr\./, 'a successful login is wrapped, as in Vault');

  const tooLong = await tr.call('POST', 'auth/token/create', { headers: { 'x-vault-wrap-ttl': '769h' }, body: { policies: ['default'] } });
  t.equal(tooLong.status, 400, 'a wrap TTL above the max TTL is refused');
  t.match(tooLong.body.errors[0], /X-Vault-Wrap-TTL/);
  const atMax = await tr.call('POST', 'auth/token/create', { headers: { 'x-vault-wrap-ttl': '768h' }, body: { policies: ['default'] } });
  t.equal(atMax.status, 200);
  t.equal(atMax.body.wrap_info.ttl, 768 * 3600, 'the max TTL itself is allowed');
});
