// An AppRole deleted (or deleted and made again) while a secret ID is being issued for it: the
// secret ID must not survive to log in to whatever role later carries the name.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import pino from 'pino';
import { AppRoleService } from '../../src/auth/approle/service.js';
import { RedisSecretIdStore, type SecretIdRecord, type SecretIdStore } from '../../src/auth/approle/secret-ids.js';
import { connectRedis } from '../../src/redis/client.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { MemoryVersionCounter } from '../../src/redis/version-counter.js';
import { APPROLE_LOGIN_LIMITS, MemoryLoginLimiter } from '../../src/auth/login-limit.js';
import { redisPrefix, sharedRedis } from '../helpers/context.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('a secret ID issued across a delete of its role does not outlive the role', async (t) => {
  const tr = await testRuntime(t);
  const redis = await connectRedis((await sharedRedis()).url);
  t.teardown(() => redis.quit());
  const store = new RedisSecretIdStore(redis, new RedisKeys(redisPrefix(t).replace(/:$/, '')));
  // The other request's delete (and, in the second case, a new role under the same name) lands
  // between this request's read of the role and its put: exactly there, every time.
  let between: (() => Promise<void>) | undefined;
  const interleaved: SecretIdStore = Object.create(store, {
    put: {
      value: async (hash: string, rec: SecretIdRecord) => {
        const run = between;
        between = undefined;
        await run?.();
        return store.put(hash, rec);
      },
    },
  });
  const approle = new AppRoleService(tr.rt.sql, interleaved, tr.rt.tokens, randomBytes(32), pino({ level: 'silent' }), new MemoryVersionCounter(),
    new MemoryLoginLimiter(APPROLE_LOGIN_LIMITS));

  for (const recreate of [false, true]) {
    await approle.write('racer', {});
    between = async () => {
      await approle.delete('racer');
      if (recreate) await approle.write('racer', {});
    };
    await t.rejects(approle.newSecretId('racer', {}, Date.now()), { message: /deleted or got a new role ID/ },
      recreate ? 'deleted and made again: refused' : 'deleted: refused');
    if (!recreate) await approle.write('racer', {});
    t.same(await approle.accessors('racer'), [], 'no secret ID is left for the role that now carries the name');
    await approle.delete('racer');
  }

  await approle.write('calm', {});
  const ok = await approle.newSecretId('calm', {}, Date.now());
  t.same(await approle.accessors('calm'), [ok.secret_id_accessor], 'without a race, issuing works as before');
});
