// Rotations that race (a scheduled one on one replica, a manual one on another) must each add a
// key: none may overwrite another's new key, or tokens already signed with it stop verifying.
import t from 'tap';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { testRuntime } from '../helpers/test-runtime.js';
import { jwtSetup } from './setup.js';

t.test('concurrent rotations on two replicas lose no key', async (t) => {
  const a = await jwtSetup(t);
  const b = await testRuntime(t, { shareWith: a.tr });
  const before = (await a.jwks()).keys.length;
  const answers = await Promise.all(
    Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a.tr : b).call('POST', 'jwt/keys/main/rotate')),
  );
  t.same(answers.map((r) => r.status), [200, 200, 200, 200, 200, 200], 'every rotation succeeds');
  const kids = answers.map((r) => r.body.data.current_kid as string);
  t.equal(new Set(kids).size, 6, 'each rotation made its own key');
  const published = new Set((await a.jwks()).keys.map((k) => k.kid));
  t.equal(published.size, before + 6, 'the JWKS lists the original key and all six new ones');
  for (const kid of kids) t.ok(published.has(kid), `key ${kid.slice(0, 8)}… is published`);

  // A token signed after the storm verifies against what lessor publishes.
  const issued = await a.issue();
  t.ok(published.has(decodeProtectedHeader(issued.token).kid));
  await t.resolves(jwtVerify(issued.token, createLocalJWKSet(await a.jwks()), { audience: 'orders' }));
});
