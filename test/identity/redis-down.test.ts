import t from 'tap';
import { ownRedis } from '../helpers/context.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('with the token store down, requests answer 503 quickly, and recover', async (t) => {
  const redis = await ownRedis(t);
  const tr = await testRuntime(t, { env: { LESSOR_REDIS_URL: redis.url() } });
  t.equal((await tr.call('GET', 'auth/token/lookup-self')).status, 200);
  await tr.call('POST', 'auth/approle/role/r', { body: {} });
  const roleId = (await tr.call('GET', 'auth/approle/role/r/role-id')).body.data.role_id;
  const secretId = (await tr.call('POST', 'auth/approle/role/r/secret-id')).body.data.secret_id;

  await redis.stop();
  const start = Date.now();
  const down = await tr.call('GET', 'auth/token/lookup-self');
  t.equal(down.status, 503, JSON.stringify(down.body));
  t.equal((await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } })).status, 503);
  t.equal((await tr.call('POST', 'auth/userpass/login/x', { token: null, body: { password: 'whatever' } })).status, 503);
  t.ok(Date.now() - start < 15_000, 'no hang');

  await redis.start();
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await tr.call('GET', 'auth/token/lookup-self')).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status, 200, 'back once Redis is');
  t.equal((await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } })).status, 200);
});
