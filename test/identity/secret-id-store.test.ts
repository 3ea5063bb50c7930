import t, { type Test } from 'tap';
import { connectRedis } from '../../src/redis/client.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { MemorySecretIdStore, RedisSecretIdStore, type SecretIdRecord, type SecretIdStore } from '../../src/auth/approle/secret-ids.js';
import { redisPrefix, sharedRedis } from '../helpers/context.js';

// The same contract for the Redis store (server mode) and the in-process one (`lessor dev`).
const rec = (accessor: string, numUses = 0, expireTime = 0): SecretIdRecord => ({
  role: 'ci', accessor, numUses, cidrs: [], metadata: {}, creationTime: 1000, expireTime,
});

async function contract(t: Test, store: SecretIdStore) {
  const now = Date.now();
  t.ok(await store.put('h1', rec('acc-1', 2)));
  t.equal(await store.hashByAccessor('acc-1'), 'h1');
  t.match(await store.get('h1'), { accessor: 'acc-1', usesLeft: 2 });

  t.notOk(await store.put('h1', rec('acc-other')), 'a registered hash is not overwritten');
  t.match(await store.get('h1'), { accessor: 'acc-1', usesLeft: 2 }, 'the first record stands');
  t.equal(await store.hashByAccessor('acc-other'), undefined, 'and the refused accessor was not written');

  // Racing registrations of one chosen value (custom-secret-id on two replicas): one wins, and
  // the role lists only the winner's accessor.
  const wins = await Promise.all(Array.from({ length: 10 }, (_, i) => store.put('raced', rec(`acc-r${i}`))));
  t.equal(wins.filter(Boolean).length, 1, 'exactly one of ten racing registrations wins');
  const winner = `acc-r${wins.indexOf(true)}`;
  t.same(await store.accessors('ci'), ['acc-1', winner].sort(), 'no dangling accessor');

  t.ok(await store.consume('h1', 'acc-1', 'ci', now));
  t.notOk(await store.consume('h1', 'acc-1', 'other-role', now), 'bound to its role');
  t.ok(await store.consume('h1', 'acc-1', 'ci', now), 'the last use');
  t.notOk(await store.consume('h1', 'acc-1', 'ci', now), 'used up');
  t.ok(await store.put('h1', rec('acc-again')), 'a used-up value can be registered again');

  t.ok(await store.put('expired', rec('acc-e', 0, now - 1)));
  t.notOk(await store.consume('expired', 'acc-e', 'ci', now), 'an expired secret ID does not log in');

  await store.remove('raced');
  t.equal(await store.hashByAccessor(winner), undefined);
  t.equal(await store.get('raced'), undefined);
}

t.test('Redis secret-id store', async (t) => {
  const redis = await connectRedis((await sharedRedis()).url);
  t.teardown(() => redis.quit());
  await contract(t, new RedisSecretIdStore(redis, new RedisKeys(redisPrefix(t).replace(/:$/, ''))));
});

t.test('in-process secret-id store', async (t) => {
  await contract(t, new MemorySecretIdStore());
});
