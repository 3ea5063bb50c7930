// RFC 7662 introspection: a live token is active with its claims; a revoked lease makes it
// inactive at once; expired, foreign and garbage tokens are inactive; the route needs a token.
import t from 'tap';
import { generateKeyPair, SignJWT, decodeProtectedHeader } from 'jose';
import { tokenWithPolicy } from '../plugins-apikey/tokens.js';
import { jwtSetup } from './setup.js';

t.test('introspect reports a live token active and a revoked one inactive', async (t) => {
  const s = await jwtSetup(t, { clock: true });
  const checker = await tokenWithPolicy(s.tr, 'introspector', { 'jwt/introspect': ['update'] });
  const introspect = async (token: string, as: string | null = checker) => s.tr.call('POST', 'jwt/introspect', { token: as, body: { token } });

  const a = await s.issue();
  const b = await s.issue();
  const live = await introspect(a.token);
  t.equal(live.status, 200);
  t.match(live.body, { active: true, iss: 'https://lessor.test/v1/jwt', aud: 'orders', team: 'payments', jti: /.+/, exp: Number });
  t.notOk('data' in live.body, 'RFC 7662 shape, not Vault’s envelope');

  t.equal((await s.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: a.lease_id } })).status, 204);
  t.same((await introspect(a.token)).body, { active: false }, 'revoked lease: inactive immediately');
  t.match((await introspect(b.token)).body, { active: true }, 'the other token is untouched');

  s.clock!.advance(10 * 60_000 + 1000);
  t.same((await introspect(b.token)).body, { active: false }, 'expired');

  const c = await s.issue();
  const tampered = c.token.slice(0, -4) + (c.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  t.same((await introspect(tampered)).body, { active: false }, 'bad signature');
  const { privateKey } = await generateKeyPair('ES256');
  const forged = await new SignJWT({ jti: 'x' })
    .setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(c.token).kid })
    .setExpirationTime('5m')
    .sign(privateKey);
  t.same((await introspect(forged)).body, { active: false }, 'right kid, wrong key');
  t.same((await introspect('not a jwt')).body, { active: false });

  t.equal((await introspect(c.token, null)).status, 403, 'needs a token');
  t.equal((await introspect(c.token, s.caller)).status, 403, 'needs update on jwt/introspect');
  t.equal((await s.tr.call('POST', 'jwt/introspect', { token: checker, body: { token: c.token, x: 1 } })).status, 400);
});

t.test('revoking the caller token revokes its JWT leases too', async (t) => {
  const s = await jwtSetup(t);
  const a = await s.issue();
  const check = async () => (await s.tr.call('POST', 'jwt/introspect', { body: { token: a.token } })).body;
  t.match(await check(), { active: true });
  t.equal((await s.tr.call('POST', 'auth/token/revoke', { body: { token: s.caller } })).status, 204);
  // The cascade queues the token's leases for the reaper (which runs on its interval in a server).
  await s.tr.rt.reaper.runOnce();
  t.same(await check(), { active: false });
});
