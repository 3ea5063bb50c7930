import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { testRuntime } from '../helpers/test-runtime.js';

// A bound claim is satisfied only by a claim the JWT carries: a claim named like an Object
// member (hasOwnProperty, constructor, toString) is looked up among the JWT's own claims, never
// inherited, so a JWT without it cannot satisfy a "*" binding on it.

t.test('bound claims named like Object members need the JWT to carry them', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
  const server: Server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(jwks));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const tr = await testRuntime(t);
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  t.equal((await tr.call('POST', 'auth/jwt/config', { body: { jwks_url: jwksUrl } })).status, 204);
  const role = await tr.call('POST', 'auth/jwt/role/ci', {
    body: {
      role_type: 'jwt', bound_audiences: ['lessor'], user_claim: 'sub', token_policies: ['default'],
      bound_claims_type: 'glob', bound_claims: { hasOwnProperty: '*', '/project/constructor': '*' },
    },
  });
  t.equal(role.status, 204, JSON.stringify(role.body));
  const now = Math.floor(Date.now() / 1000);
  const login = async (claims: JWTPayload) => {
    const jwt = await new SignJWT({ sub: 'ci-job', aud: 'lessor', exp: now + 300, iat: now, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(privateKey);
    return tr.call('POST', 'auth/jwt/login', { token: null, body: { role: 'ci', jwt } });
  };
  t.equal((await login({ project: {} })).status, 400, 'a JWT without those claims is refused');
  t.equal((await login({ hasOwnProperty: 'yes', project: {} })).status, 400, 'the nested one is needed too');
  t.equal((await login({ hasOwnProperty: 'yes', project: { constructor: 'shop' } })).status, 200, 'a JWT carrying both logs in');
});
