import t, { type Test } from 'tap';
import { connectRedis } from '../../src/redis/client.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { MemoryTokenStore } from '../../src/auth/token-store-memory.js';
import { RedisTokenStore } from '../../src/auth/token-store-redis.js';
import type { TokenRecord, TokenStore } from '../../src/auth/token-store.js';
import { redisPrefix, sharedRedis } from '../helpers/context.js';

// The same contract for the Redis store (server mode) and the in-process one (`lessor dev`).
const rec = (id: string, parent = '', numUses = 0): TokenRecord => ({
  id, accessor: `acc-${id}`, policies: ['default'], parent, ancestors: parent ? [parent] : [], meta: {}, displayName: 'token',
  entityName: 'x', path: 'auth/token/create', creationTime: 1000, creationTtl: 60, explicitMaxTtl: 0, maxExpireTime: 0,
  renewable: true, numUses, boundCidrs: [],
});

async function contract(t: Test, store: TokenStore) {
  // Real time: Redis garbage-collects keys by wall clock, well after expiry.
  const now = Date.now();
  t.equal(await store.create(rec('p'), now + 60_000, now), 'created');
  t.equal(await store.create(rec('c1', 'p'), now + 60_000, now), 'created', 'child of a live parent');
  t.equal(await store.create(rec('orphaned', 'missing'), now + 60_000, now), 'parent-gone', 'refused under a missing parent');
  t.equal(await store.get('orphaned'), undefined, 'and not written');
  t.equal(await store.create({ ...rec('p'), accessor: 'acc-second' }, now + 60_000, now), 'duplicate', 'an id in use is not overwritten');
  t.equal((await store.get('p'))!.record.accessor, 'acc-p', 'the first token stands');
  t.equal(await store.idByAccessor('acc-second'), undefined, 'and no accessor points at it twice');
  t.same((await store.get('p'))!.record.accessor, 'acc-p');
  t.equal(await store.idByAccessor('acc-c1'), 'c1');
  t.same((await store.accessors()).sort(), ['acc-c1', 'acc-p'], 'every accessor, and only this store\'s');
  t.same(await store.children('p'), ['c1']);

  t.equal((await store.get('p'))!.lastRenewal, undefined, 'never renewed yet');
  t.ok(await store.renew('p', now + 120_000, now + 5));
  t.equal((await store.get('p'))!.expireTime, now + 120_000);
  t.equal((await store.get('p'))!.lastRenewal, now + 5, 'the renewal is recorded');
  t.notOk(await store.renew('p', now + 200_000, now + 130_000), 'an expired token cannot be renewed');
  t.equal(await store.create(rec('late', 'p'), now + 1, now + 130_000), 'parent-gone', 'nor have children');

  t.same(await store.expired(now + 61_000, 10), ['c1']);
  t.same((await store.expired(now + 121_000, 10)).sort(), ['c1', 'p']);

  t.equal(await store.create(rec('once', '', 2), 0, now), 'created');
  t.same(await store.use('once', now), { ok: true, last: false, usesLeft: 1 });
  t.same(await store.use('once', now), { ok: true, last: true, usesLeft: 0 });
  t.same(await store.use('once', now), { ok: false });

  t.equal(await store.create(rec('race', '', 1), 0, now), 'created');
  const results = await Promise.all(Array.from({ length: 20 }, () => store.use('race', now)));
  t.equal(results.filter((r) => r.ok).length, 1, 'twenty racing uses of a one-use token: exactly one wins');

  t.equal(await store.create(rec('gc', 'c1'), now + 60_000, now), 'created');
  t.ok(await store.detach('gc', ['c1', 'p']), 'revoke-orphan cuts a live token off its revoked ancestors');
  const gc = (await store.get('gc'))!.record;
  t.same([gc.parent, gc.ancestors], ['', []], 'an orphan now');
  t.ok(await store.remove('gc'));
  t.notOk(await store.detach('gc', ['c1']), 'a token gone meanwhile is not brought back');
  // Two revoke-orphans cutting one subtree at different heights, at once: both cuts stay.
  t.equal(await store.create(rec('b'), now + 60_000, now), 'created');
  t.equal(await store.create({ ...rec('deep', 'b'), ancestors: ['b', 'a', 'x'] }, now + 60_000, now), 'created');
  const both = await Promise.all([store.detach('deep', ['a', 'x']), store.detach('deep', ['b'])]);
  t.same(both, [true, true]);
  const deep = (await store.get('deep'))!.record;
  t.same([deep.parent, deep.ancestors], ['', []], 'neither cut undoes the other');
  t.equal(await store.get('gc'), undefined);

  const removed = await store.remove('c1');
  t.equal(removed?.id, 'c1');
  t.equal(await store.remove('c1'), undefined, 'removal is idempotent');
  t.same(await store.children('p'), []);
  t.equal(await store.idByAccessor('acc-c1'), undefined);
  t.notOk((await store.accessors()).includes('acc-c1'), 'a removed token is not listed');
  await store.dropChildren('p');
}

t.test('Redis token store', async (t) => {
  const redis = await connectRedis((await sharedRedis()).url);
  t.teardown(() => redis.quit());
  await contract(t, new RedisTokenStore(redis, new RedisKeys(redisPrefix(t).replace(/:$/, ''))));
});

t.test('in-process token store', async (t) => {
  await contract(t, new MemoryTokenStore());
});
