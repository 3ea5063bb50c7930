import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

// A use count must be a whole number a store can count down. "1e309" is coerced to Infinity,
// which JSON stores as null, that is unlimited: a secret ID or token meant to be limited would
// never run out. Such counts, and any past 2^53, are a 400 that creates nothing.

const HUGE = ['1e309', 2 ** 53 + 2];

t.test('use counts past 2^53 or infinite are refused on every route that takes one', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'auth/approle/role/r', { body: { token_policies: 'default' } })).status, 204);
  for (const n of HUGE) {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['POST', 'auth/token/create', { policies: ['default'], num_uses: n }],
      ['POST', 'auth/approle/role/r/secret-id', { num_uses: n }],
      ['POST', 'auth/approle/role/huge', { secret_id_num_uses: n }],
      ['POST', 'auth/approle/role/huge', { token_num_uses: n }],
      ['POST', 'auth/token/roles/huge', { token_num_uses: n }],
      ['POST', 'auth/userpass/users/huge', { password: 'long-enough-password', token_num_uses: n }],
    ];
    for (const [method, path, body] of cases) {
      const r = await tr.call(method, path, { body });
      t.equal(r.status, 400, `${path} ${JSON.stringify(body)} is refused`);
    }
  }
  t.equal((await tr.call('GET', 'auth/approle/role/huge')).status, 404, 'no role was made');
  t.equal((await tr.call('GET', 'auth/userpass/users/huge')).status, 404, 'no user was made');
  t.same((await tr.call('LIST', 'auth/approle/role/r/secret-id')).body.data.keys, [], 'no secret ID was made');

  // The largest exact count is still a count.
  const ok = await tr.call('POST', 'auth/approle/role/r/secret-id', { body: { num_uses: Number.MAX_SAFE_INTEGER } });
  t.equal(ok.status, 200);
  t.equal(ok.body.data.secret_id_num_uses, Number.MAX_SAFE_INTEGER);
  const one = await tr.call('POST', 'auth/approle/role/r/secret-id', { body: { num_uses: '1' } });
  t.equal(one.body.data.secret_id_num_uses, 1, 'a count sent as a string is still taken');
});
