// Revocations parked on an unreachable target: releasing the target makes them due at once, on
// the Redis store and on `lessor dev`'s memory store alike, but never a lease a reaper holds
// (that would let two reapers revoke it at once) or one that finished meanwhile.
import t, { type Test } from 'tap';
import { connectRedis } from '../../src/redis/client.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { MemoryLeaseStore } from '../../src/leases/memory-lease-store.js';
import { RedisLeaseStore } from '../../src/leases/redis-lease-store.js';
import { targetOf, type LeaseStore } from '../../src/leases/lease-store.js';
import { redisPrefix, sharedRedis } from '../helpers/context.js';
import { intent } from './lease-store-contract.js';

const stores: Record<string, (t: Test) => Promise<LeaseStore>> = {
  memory: async () => new MemoryLeaseStore(),
  redis: async (t) => {
    const redis = await connectRedis((await sharedRedis()).url);
    t.teardown(() => redis.quit());
    return new RedisLeaseStore(redis, new RedisKeys(redisPrefix(t).replace(/:$/, '')));
  },
};

for (const [kind, make] of Object.entries(stores)) {
  t.test(`${kind}: a released target's waiting revocations are due now, claimed ones are not`, async (t) => {
    const s = await make(t);
    const now = 1_000_000;
    const [a, b, held, done, other] = [intent(), intent(), intent(), intent(), intent({ config: 'other' })];
    for (const l of [a, b, held, done, other]) await s.create(l, 'active', now);
    const target = targetOf(a);
    const later = now + 3600_000;
    // Each failed while the target was down and was given a retry far ahead.
    for (const l of [a, b, held, done]) {
      await s.fail(l.id, now, later, 18, 'unreachable', 'attempt');
      await s.targetDown(target, l.id, later, now);
    }
    await s.fail(other.id, now, later, 18, 'unreachable', 'attempt');
    await s.targetDown(targetOf(other), other.id, later, now + 5);
    t.same([...(await s.downTargets())].sort(), [[targetOf(a), now], [targetOf(other), now + 5]].sort(), 'both marked down, since their first failure');
    await s.targetDown(target, a.id, later, now + 99);
    t.equal((await s.downTargets()).get(target), now, 'a later failure keeps the first time seen down');

    // A reaper claims one on its retry, and another finishes meanwhile.
    t.same(await s.claimDue(now + 1000, now + 61_000, 10), [], 'nothing is due before the retry');
    await s.remove(done.id);
    // Simulates a reaper holding `held`: its score is its claim deadline, not the retry.
    await s.markRevoking(held.id, now, now + 60_000);

    const t1 = now + 1000;
    t.equal(await s.releaseTarget(target, t1), 2, 'the two still waiting are moved');
    t.same((await s.claimDue(t1, t1 + 60_000, 10)).sort(), [a.id, b.id].sort(), 'due now, long before their retry');
    t.same([...(await s.downTargets()).keys()], [targetOf(other)], 'the marker is gone; the other target stays down');
    t.equal(await s.releaseTarget(target, t1), 0, 'releasing again moves nothing');
    t.same(await s.claimDue(t1 + 1, t1 + 60_000, 10), [], 'the held lease and the other target\'s stay where they were');
  });

  t.test(`${kind}: the ownership record holds what a config issued, per config`, async (t) => {
    const s = await make(t);
    await s.ownedAdd('db|main', 'u1');
    await s.ownedAdd('db|main', 'u2');
    await s.ownedAdd('db|other', 'u3');
    t.same((await s.ownedList('db|main')).sort(), ['u1', 'u2']);
    await s.ownedRemove('db|main', 'u1');
    t.same(await s.ownedList('db|main'), ['u2']);
    t.same(await s.ownedList('db|other'), ['u3']);
    t.same(await s.ownedList('db|none'), []);
  });
}
