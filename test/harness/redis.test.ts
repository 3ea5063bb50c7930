// The shared Redis persists with AOF, and redisPrefix cleans up its keys.
import t from 'tap';
import { Redis } from 'ioredis';
import { redisPrefix, sharedRedis } from '../helpers/context.js';

const connect = async (url: string) => {
  const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  await r.connect();
  return r;
};

t.test('appendonly is on', async (t) => {
  const info = await sharedRedis();
  t.not(info.port, 6379, 'never the system server');
  const r = await connect(info.url);
  t.teardown(() => r.disconnect());
  t.same(await r.config('GET', 'appendonly'), ['appendonly', 'yes']);
});

t.test('redisPrefix keys are removed at teardown', async (t) => {
  const info = await sharedRedis();
  const r = await connect(info.url);
  t.teardown(() => r.disconnect());
  let prefix = '';
  const other = `untouched-${process.pid}`;
  await r.set(other, '1');
  await t.test('writes keys', async (t) => {
    prefix = redisPrefix(t);
    t.match(prefix, /^[A-Za-z0-9]+:$/, 'plain string, no hash-tag braces');
    t.not(prefix, redisPrefix(t), 'unique per call');
    await r.set(`${prefix}a`, '1');
    await r.set(`{${prefix}}b`, '1'); // the shape lessor produces
  });
  t.same(await r.keys(`*${prefix}*`), [], 'prefixed keys deleted');
  t.equal(await r.get(other), '1', 'other keys kept');
  await r.del(other);
});
