// LESSOR_ROOT_TOKEN set while Redis is down at start: the token is created once Redis answers,
// without a restart, and health is served meanwhile.
import t from 'tap';
import { ownRedis } from '../helpers/context.js';
import { waitUntil } from '../helpers/proc.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('the root token from LESSOR_ROOT_TOKEN is created once Redis comes back', async (t) => {
  const redis = await ownRedis(t);
  await redis.stop();
  const tr = await testRuntime(t, { env: { LESSOR_REDIS_URL: redis.url() } });
  const health = await tr.call('GET', 'sys/health', { token: null });
  t.equal(health.status, 503, 'health answers at once, saying Redis is down');
  t.equal((await tr.call('GET', 'auth/token/lookup-self')).status, 503, 'the token store is unreachable');

  await redis.start();
  let status = 0;
  await waitUntil('the root token to work', 20_000, async () => {
    status = (await tr.call('GET', 'auth/token/lookup-self')).status;
    return status === 200;
  });
  t.equal(status, 200, 'the root token works without a restart');
  t.same((await tr.call('GET', 'auth/token/lookup-self')).body.data.policies, ['root']);
  const done = tr.logLines.filter((l) => l.includes('root token from LESSOR_ROOT_TOKEN ensured'));
  t.equal(done.length, 1, 'logged once when done');
  t.notOk(tr.logLines.join('\n').includes(tr.rootToken), 'the token is never logged');
});
