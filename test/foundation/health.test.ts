// Health answers 200 while its dependencies answer and 503 naming the one that does not.
import t from 'tap';
import { ownRedis } from '../helpers/context.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('health goes 503 naming Redis while Redis is down, and 200 after it restarts', async (t) => {
  const redis = await ownRedis(t);
  const tr = await testRuntime(t, { env: { LESSOR_REDIS_URL: redis.url() } });
  const up = await tr.call('GET', 'sys/health', { token: null });
  t.equal(up.status, 200);
  t.match(up.body, { initialized: true, sealed: false, standby: false, version: String });
  t.type(up.body.server_time_utc, 'number');
  t.equal(up.headers['content-type'], 'application/json', 'exactly application/json, as Vault answers');

  await redis.stop();
  const down = await tr.call('GET', 'sys/health', { token: null });
  t.equal(down.status, 503);
  t.match(down.body.errors.join(' '), /redis/i, 'the answer names Redis');
  t.notMatch(down.body.errors.join(' '), /config store/, 'and only Redis');

  await redis.start();
  // ioredis reconnects on its own schedule; poll (bounded) instead of sleeping a fixed time.
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await tr.call('GET', 'sys/health', { token: null })).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status, 200, 'healthy again after Redis restarts');
});

t.test('health goes 503 naming the config store when PostgreSQL is down', async (t) => {
  const { ownPostgres } = await import('../helpers/context.js');
  const pg = await ownPostgres(t);
  const tr = await testRuntime(t, { env: { LESSOR_DATABASE_URL: pg.url('postgres') } });
  t.equal((await tr.call('GET', 'sys/health', { token: null })).status, 200);
  await pg.stop();
  const down = await tr.call('GET', 'sys/health', { token: null });
  t.equal(down.status, 503);
  t.match(down.body.errors.join(' '), /config store/);
  await pg.start();
});
