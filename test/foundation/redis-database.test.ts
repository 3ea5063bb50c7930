// A Redis URL naming a database the server does not have stops `lessor server` at start-up with
// one line, instead of answering health 200 and keeping tokens in database 0.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../../src/config.js';
import { freshPgDatabase, ownRedis, sharedRedis } from '../helpers/context.js';
import { testRuntime } from '../helpers/test-runtime.js';
import { freePort, waitUntil } from '../helpers/proc.js';
import { lessorCli } from '../consumer/processes.js';

t.test('lessor server with an out-of-range Redis database exits 1 with one line', async (t) => {
  const redisUrl = new URL((await sharedRedis()).url);
  redisUrl.pathname = '/99';
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const port = await freePort();
  const server = lessorCli(t, ['server'], {
    LESSOR_LISTEN: `127.0.0.1:${port}`,
    LESSOR_DATABASE_URL: await freshPgDatabase(t),
    LESSOR_REDIS_URL: redisUrl.toString(),
    LESSOR_REDIS_PREFIX: prefix,
    LESSOR_MASTER_KEY: randomBytes(32).toString('base64'),
    LESSOR_ROOT_TOKEN: `lsr.${randomBytes(16).toString('hex')}`,
  });
  let exit: { code: number | null } | undefined;
  void server.exited.then((e) => (exit = e));
  let healthy = false;
  await waitUntil('lessor server to exit', 60_000, async () => {
    if (exit) return true;
    healthy ||= (await fetch(`http://127.0.0.1:${port}/v1/sys/health`).then((r) => r.status, () => 0)) === 200;
    return healthy;
  });
  t.notOk(healthy, 'never answers health');
  t.equal((await server.exited).code, 1, 'exit code 1');
  const lines = server.stderr().trim().split('\n');
  t.equal(lines.length, 1, `one line: ${server.stderr()}`);
  t.match(lines[0], /^lessor: LESSOR_REDIS_URL: Redis refused database 99 \(.*DB index is out of range.*\)$/);

  const db0 = new Redis((await sharedRedis()).url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await db0.connect();
  t.teardown(() => db0.disconnect());
  t.same(await db0.keys(`*${prefix}*`), [], 'nothing written to database 0');
});

t.test('a Redis URL path that is not a database number is refused before connecting', async (t) => {
  const env = { LESSOR_MASTER_KEY: randomBytes(32).toString('base64') };
  t.throws(() => loadConfig('server', { ...env, LESSOR_REDIS_URL: 'redis://127.0.0.1:6379/tokens' }),
    new ConfigError('LESSOR_REDIS_URL', 'the path must be a database number (for example /0), got "/tokens"'));
  t.throws(() => loadConfig('server', { ...env, LESSOR_REDIS_URL: 'redis://127.0.0.1:6379/3', LESSOR_REDIS_CLUSTER: 'true' }),
    /LESSOR_REDIS_URL: Redis Cluster has only database 0/);
  t.equal(loadConfig('server', { ...env, LESSOR_REDIS_URL: 'redis://127.0.0.1:6379/15' }).redisUrl, 'redis://127.0.0.1:6379/15');
  t.equal(loadConfig('server', { ...env, LESSOR_REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl, 'redis://127.0.0.1:6379');
});

t.test('Redis down at start, then refusing the database: requests answer 503, nothing goes to database 0', async (t) => {
  const redis = await ownRedis(t);
  await redis.stop();
  const tr = await testRuntime(t, { env: { LESSOR_REDIS_URL: redis.url('99') } });
  await redis.start();
  // Settled once the refusal is logged, or once the replica serves (from the wrong database).
  await waitUntil('Redis to answer', 20_000, async () => tr.logLines.some((l) => l.includes('Redis refused the database'))
    || (await tr.call('GET', 'sys/health', { token: null })).status === 200);
  t.equal((await tr.call('GET', 'sys/health', { token: null })).status, 503, 'health says Redis is down');
  t.equal((await tr.call('POST', 'auth/token/create', { body: {} })).status, 503, 'a token write answers 503');
  const db0 = new Redis(redis.url(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await db0.connect();
  t.teardown(() => db0.disconnect());
  t.equal(await db0.dbsize(), 0, 'database 0 stays empty');
});
