// The Vault CLI's -wrap-ttl (X-Vault-Wrap-TTL): lessor does not wrap responses, and must not
// answer such a request unwrapped, because the caller expects only a wrapping token back.
import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('X-Vault-Wrap-TTL is refused, never answered unwrapped', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/approle/role/ci', { body: { token_policies: ['default'] } });
  const once = (await tr.call('POST', 'auth/token/create', { body: { num_uses: 1 } })).body.auth.client_token;
  const wrapped = await tr.call('POST', 'auth/approle/role/ci/secret-id', { headers: { 'x-vault-wrap-ttl': '60s' } });
  t.equal(wrapped.status, 400);
  t.match(wrapped.body.errors.join(' '), /response wrapping/);
  t.notOk(JSON.stringify(wrapped.body).includes('secret_id'), 'no secret in the answer');
  const accessors = async () => (await tr.call('LIST', 'auth/approle/role/ci/secret-id')).body?.data?.keys ?? [];
  t.same(await accessors(), [], 'and no secret ID was generated');
  t.equal((await tr.call('POST', 'auth/approle/role/ci/secret-id')).status, 200);
  t.equal((await accessors()).length, 1, 'without the header the same request generates one');
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: once, headers: { 'x-vault-wrap-ttl': '1m' } })).status, 400);
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: once })).status, 200, 'the refused request did not take a token use');
});
