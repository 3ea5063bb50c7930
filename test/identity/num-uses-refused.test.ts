// A refused request takes nothing from a limited-use token: a num_uses token survives any number
// of 403s with its uses intact, and a wrapping token sent to a path it may not use can still be
// unwrapped afterwards. A use is taken only once the request is allowed.
import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('403s do not use up a num_uses token', async (t) => {
  const tr = await testRuntime(t);
  const made = await tr.call('POST', 'auth/token/create', { body: { policies: ['default'], num_uses: 2 } });
  t.equal(made.status, 200);
  const token = made.body.auth.client_token;

  for (let i = 0; i < 3; i++) t.equal((await tr.call('GET', 'sys/key-status', { token })).status, 403, `refused ${i + 1}`);
  t.equal((await tr.call('GET', 'auth/approle/role/none', { token })).status, 403, 'refused on another path');

  const first = await tr.call('GET', 'auth/token/lookup-self', { token });
  t.equal(first.status, 200, 'still alive after four refusals');
  t.equal(first.body.data.num_uses, 1, 'the allowed request took one use, the refused ones none');
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token })).status, 200, 'the second use');
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token })).status, 403, 'then it is used up');
});

t.test('a refused request does not burn a wrapping token', async (t) => {
  const tr = await testRuntime(t);
  const wrapped = await tr.call('POST', 'sys/wrapping/wrap', { headers: { 'x-vault-wrap-ttl': '5m' }, body: { password: 'hunter2' } });
  t.equal(wrapped.status, 200);
  const wrapping = wrapped.body.wrap_info.token;

  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: wrapping })).status, 403, 'the wrapping policy does not allow it');
  t.equal((await tr.call('GET', 'sys/key-status', { token: wrapping })).status, 403);

  const out = await tr.call('POST', 'sys/wrapping/unwrap', { token: wrapping });
  t.equal(out.status, 200, 'the answer can still be unwrapped');
  t.same(out.body.data, { password: 'hunter2' });
  t.equal((await tr.call('POST', 'sys/wrapping/unwrap', { token: wrapping })).status, 403, 'and only once');
});

t.test('of racing allowed requests on a token\'s last use exactly one gets it', async (t) => {
  const tr = await testRuntime(t);
  const token = (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'], num_uses: 1 } })).body.auth.client_token;
  const answers = await Promise.all(Array.from({ length: 8 }, () => tr.call('GET', 'auth/token/lookup-self', { token })));
  t.same(answers.map((a) => a.status).sort(), [200, 403, 403, 403, 403, 403, 403, 403]);
});
