import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

/** A JWKS + OIDC discovery endpoint, as a Kubernetes API server or CI provider would run. */
async function issuerServer(t: Test, jwks: object) {
  let base = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/jwks') return res.end(JSON.stringify(jwks));
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => new Promise((r) => server.close(r)));
  return base;
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function setup(t: Test) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const base = await issuerServer(t, { keys: [jwk] });
  const tr = await testRuntime(t);
  const sign = (claims: JWTPayload, opts: { key?: CryptoKey | Uint8Array; alg?: string } = {}) =>
    new SignJWT({ sub: 'system:serviceaccount:shop:orders', aud: 'lessor', iss: 'https://k8s.example', exp: now() + 300, iat: now(), ...claims })
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: 'k1' })
      .sign(opts.key ?? privateKey);
  const login = (jwt: string, role = 'k8s') => tr.call('POST', 'auth/jwt/login', { token: null, body: { role, jwt } });
  return { tr, base, publicKey, privateKey, sign, login };
}

async function role(tr: TestRuntime, body: object = {}) {
  const res = await tr.call('POST', 'auth/jwt/role/k8s', {
    body: { role_type: 'jwt', bound_audiences: ['lessor'], user_claim: 'sub', token_policies: ['orders'], token_ttl: '15m', ...body },
  });
  if (res.status !== 204) throw new Error(JSON.stringify(res.body));
}

t.test('JWT login with a JWKS URL: good tokens in, every kind of bad token refused with 400, as Vault refuses a login', async (t) => {
  const { tr, base, publicKey, sign, login } = await setup(t);
  t.equal((await tr.call('POST', 'auth/jwt/config', { body: { jwks_url: `${base}/jwks`, bound_issuer: 'https://k8s.example' } })).status, 204);
  await role(tr, { bound_claims: { '/kubernetes.io/namespace': ['shop', 'billing'] } });

  const good = await login(await sign({ 'kubernetes.io': { namespace: 'shop' } }));
  t.equal(good.status, 200, JSON.stringify(good.body));
  t.same(good.body.auth.policies, ['default', 'orders']);
  t.equal(good.body.auth.lease_duration, 900);
  t.same(good.body.auth.metadata, { role: 'k8s' });
  const self = await tr.call('GET', 'auth/token/lookup-self', { token: good.body.auth.client_token });
  t.equal(self.body.data.display_name, 'jwt-system:serviceaccount:shop:orders');
  t.equal(self.body.data.path, 'auth/jwt/login');

  const ns = { 'kubernetes.io': { namespace: 'shop' } };
  const cases: Array<[string, Promise<string> | string]> = [
    ['expired', sign({ ...ns, exp: now() - 3600, iat: now() - 7200 })],
    ['not yet valid', sign({ ...ns, nbf: now() + 3600 })],
    ['wrong audience', sign({ ...ns, aud: 'someone-else' })],
    ['wrong issuer', sign({ ...ns, iss: 'https://evil.example' })],
    ['claim not bound', sign({ 'kubernetes.io': { namespace: 'admin' } })],
    ['no exp at all', sign({ ...ns, exp: undefined })],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', aud: 'lessor', iss: 'https://k8s.example', exp: now() + 300, ...ns })}.`],
    ['wrongly signed', (async () => sign(ns, { key: (await generateKeyPair('RS256')).privateKey }))()],
    ['HS256 signed with the public key', (async () => sign(ns, { alg: 'HS256', key: new TextEncoder().encode(await exportSPKI(publicKey)) }))()],
    ['tampered payload', (async () => {
      const [h, , s] = (await sign(ns)).split('.');
      return `${h}.${b64({ sub: 'root', aud: 'lessor', iss: 'https://k8s.example', exp: now() + 300, ...ns })}.${s}`;
    })()],
    ['garbage', 'not.a.jwt'],
  ];
  for (const [name, jwt] of cases) {
    const res = await login(await jwt);
    t.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
  }
  const missing = await login(await sign(ns), 'missing-role');
  t.equal(missing.status, 400, 'an unknown role: 400, as in Vault');
  t.match(missing.body.errors.join(' '), /could not be found/);
});

t.test('JWT login with OIDC discovery, bound subject, and static PEM keys', async (t) => {
  const { tr, base, publicKey, sign, login } = await setup(t);
  t.equal((await tr.call('POST', 'auth/jwt/config', { body: { oidc_discovery_url: base } })).status, 204);
  await role(tr, { bound_subject: 'system:serviceaccount:shop:orders' });
  t.equal((await login(await sign({}))).status, 200, 'discovery');
  t.equal((await login(await sign({ sub: 'system:serviceaccount:shop:other' }))).status, 400, 'other subject');

  const pem = await exportSPKI(publicKey);
  t.equal((await tr.call('POST', 'auth/jwt/config', { body: { jwt_validation_pubkeys: [pem], bound_issuer: 'https://k8s.example' } })).status, 204);
  const read = await tr.call('GET', 'auth/jwt/config');
  t.same(read.body.data.jwt_validation_pubkeys, [pem]);
  t.equal((await login(await sign({}))).status, 200, 'static key');
  t.equal((await login(await sign({ iss: 'https://other' }))).status, 400, 'issuer still bound');

  const res = await tr.call('POST', 'auth/jwt/config', { body: { jwks_url: `${base}/jwks`, jwt_supported_algs: ['HS256'] } });
  t.equal(res.status, 400, 'symmetric algorithms cannot be allowed');
  t.equal((await tr.call('POST', 'auth/jwt/config', { body: { jwks_url: `${base}/jwks`, oidc_discovery_url: base } })).status, 400, 'one key source');
  t.equal((await tr.call('POST', 'auth/jwt/config', { body: { jwt_validation_pubkeys: ['nope'] } })).status, 400);

  t.same((await tr.call('LIST', 'auth/jwt/role')).body.data.keys, ['k8s']);
  t.equal((await tr.call('GET', 'auth/jwt/role/k8s')).body.data.bound_subject, 'system:serviceaccount:shop:orders');
  t.equal((await tr.call('DELETE', 'auth/jwt/role/k8s')).status, 204);
  t.equal((await login(await sign({}))).status, 400, 'deleted role');
});

t.test('an unreachable JWKS endpoint is a 503, not a hang', async (t) => {
  const { tr, sign, login } = await setup(t);
  await tr.call('POST', 'auth/jwt/config', { body: { jwks_url: 'http://127.0.0.1:1/jwks' } });
  await role(tr);
  t.equal((await login(await sign({}))).status, 503);
});
