// After a rotation, tokens signed with the old key keep verifying until verification_ttl and not
// after; the JWKS never lists a key past its window; updates keep the key ring. Time is the
// runtime's injected clock, moved by the test.
import t from 'tap';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { jwtSetup, type JwtSetup } from './setup.js';

/** Verifies as a relying party would at `at`, with the JWKS lessor serves now. */
async function verifiesAt(s: JwtSetup, token: string, at: number): Promise<boolean> {
  const jwks = createLocalJWKSet(await s.jwks());
  return jwtVerify(token, jwks, { currentDate: new Date(at), audience: 'orders' }).then(() => true, () => false);
}

t.test('old tokens verify until verification_ttl after a rotation, and not after', async (t) => {
  // verification_ttl 30m, token ttl 25m: the window outlives every token signed before rotating.
  const s = await jwtSetup(t, { clock: true, role: { ttl: '25m' } });
  const clock = s.clock!;
  const t0 = clock.now();
  const old = await s.issue();
  const oldKid = decodeProtectedHeader(old.token).kid;

  clock.advance(60_000);
  const rotated = await s.ok('POST', 'jwt/keys/main/rotate');
  t.not(rotated.data.current_kid, oldKid, 'rotate answers the new kid');
  const fresh = await s.issue();
  t.equal(decodeProtectedHeader(fresh.token).kid, rotated.data.current_kid, 'new tokens use the new key at once');
  t.same((await s.jwks()).keys.map((k) => k.kid).sort(), [oldKid, rotated.data.current_kid].sort(), 'both keys published');

  const retiredAt = t0 + 60_000;
  for (const minutes of [5, 20, 24]) {
    clock.set(t0 + minutes * 60_000);
    t.ok(await verifiesAt(s, old.token, clock.now()), `old token verifies ${minutes}m after issue`);
  }
  clock.set(retiredAt + 30 * 60_000 - 2000);
  t.ok((await s.jwks()).keys.some((k) => k.kid === oldKid), 'old key listed until the window closes');
  clock.set(retiredAt + 30 * 60_000 + 1000);
  const after = (await s.jwks()).keys.map((k) => k.kid);
  t.notOk(after.includes(oldKid), 'old key gone once retired_at + verification_ttl passed');
  t.same(after, [rotated.data.current_kid]);
  t.notOk(await verifiesAt(s, old.token, t0 + 5 * 60_000), 'an old-key token no longer verifies, even judged inside its exp');
  t.ok(await verifiesAt(s, fresh.token, t0 + 5 * 60_000), 'the new key still verifies its tokens');
});

t.test('the JWKS never lists a key past its window, over many rotations', async (t) => {
  const s = await jwtSetup(t, { clock: true, keySet: { verification_ttl: '10m' } });
  const clock = s.clock!;
  const retired = new Map<string, number>(); // kid → retired at
  let current = (await s.ok('GET', 'jwt/keys/main')).data.current_kid as string;
  for (let i = 0; i < 6; i++) {
    clock.advance(4 * 60_000);
    const next = (await s.ok('POST', 'jwt/keys/main/rotate')).data.current_kid as string;
    retired.set(current, clock.now());
    current = next;
    const listed = (await s.jwks()).keys.map((k) => k.kid!);
    t.ok(listed.includes(current), 'current key listed');
    for (const kid of listed.filter((k) => k !== current)) {
      t.ok(clock.now() - retired.get(kid)! < 10 * 60_000 + 1000, `retired key ${kid.slice(0, 6)} is inside its window`);
    }
    for (const [kid, at] of retired) {
      if (clock.now() - at >= 10 * 60_000) t.notOk(listed.includes(kid), `expired key ${kid.slice(0, 6)} not listed`);
    }
  }
  t.equal((await s.jwks()).keys.length, 4, 'current + the three retired 0, 4 and 8 minutes ago');
});

t.test('updating a key set keeps its keys; changing the algorithm rotates', async (t) => {
  const s = await jwtSetup(t, { clock: true });
  const before = (await s.ok('GET', 'jwt/keys/main')).data.current_kid;
  const token = await s.issue();
  await s.ok('POST', 'jwt/keys/main', { rotation_period: '2h' });
  const cfg = (await s.ok('GET', 'jwt/keys/main')).data;
  t.equal(cfg.current_kid, before, 'same key after an update');
  t.equal(cfg.rotation_period, 7200);
  await s.ok('POST', 'jwt/keys/main', { algorithm: 'EdDSA' });
  const edKid = (await s.ok('GET', 'jwt/keys/main')).data.current_kid;
  t.not(edKid, before);
  t.ok(await verifiesAt(s, token.token, s.clock!.now()), 'ES256 token still verifies inside the window');
  const ed = await s.issue();
  t.equal(decodeProtectedHeader(ed.token).alg, 'EdDSA');
  t.equal((await s.tr.call('POST', 'jwt/keys/nope/rotate')).status, 404);
});
