// A JWT from lessor verifies with jose.createRemoteJWKSet against lessor's JWKS URL on a real
// listening server; discovery and cache headers are what verifiers need; secrets stay secret.
import t from 'tap';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { jwtSetup } from './setup.js';

t.test('a token verifies against the remote JWKS and carries the promised claims', async (t) => {
  const s = await jwtSetup(t);
  const base = await s.tr.listen();
  const { token, lease_id, lease_duration } = await s.issue();
  t.match(lease_id, /^jwt\/token\/svc\//);
  t.equal(lease_duration, 600);

  const jwks = createRemoteJWKSet(new URL(`${base}/v1/jwt/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: 'https://lessor.test/v1/jwt', audience: 'orders' });
  t.equal(protectedHeader.alg, 'ES256');
  t.ok(protectedHeader.kid, 'kid in the header');
  t.match(payload, { iss: 'https://lessor.test/v1/jwt', aud: 'orders', team: 'payments', jti: /^[A-Za-z0-9_-]{22}$/, sub: /.+/ });
  t.equal(payload.exp! - payload.iat!, 600, 'exp is the lease TTL');
  t.ok(payload.iat! <= Date.now() / 1000 + 1);

  const renew = await s.tr.call('PUT', 'sys/leases/renew', { body: { lease_id, increment: 3600 } });
  t.match(renew.body, { renewable: false, lease_duration: Number }, 'a signed JWT cannot be extended');
  t.ok(renew.body.lease_duration <= 600);

  const res = await fetch(`${base}/v1/jwt/.well-known/jwks.json`);
  t.equal(res.status, 200, 'public: no token');
  t.match(res.headers.get('cache-control'), /^public, max-age=(3599|3600)$/, 'cacheable until the next rotation');
  const body = (await res.json()) as { keys: Array<Record<string, unknown>> };
  t.equal(body.keys.length, 1);
  t.equal(body.keys[0].kid, decodeProtectedHeader(token).kid);
  t.notOk('d' in body.keys[0], 'no private part in the JWKS');

  const disco = await fetch(`${base}/v1/jwt/.well-known/openid-configuration`);
  t.equal(disco.status, 200);
  t.match(await disco.json(), {
    issuer: `${base}/v1/jwt`, jwks_uri: `${base}/v1/jwt/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['ES256'],
  });
  t.match(disco.headers.get('cache-control'), /max-age=/);

  const cfg = await s.ok('GET', 'jwt/keys/main');
  t.same(Object.keys(cfg.data).sort(), ['algorithm', 'current_kid', 'rotation_period', 'verification_ttl']);
  t.match(cfg.data, { algorithm: 'ES256', rotation_period: 3600, verification_ttl: 1800 });
  const { rows } = await s.tr.rt.sql.query<{ config: unknown; secrets: string | null }>(
    "SELECT config, secrets FROM engine_configs WHERE mount = 'jwt' AND name = 'main'");
  t.notOk(JSON.stringify(rows[0].config).includes('private_key'), 'the private key is not in the clear config column');
  t.ok(rows[0].secrets && !rows[0].secrets.includes('"d"'), 'it is sealed');
  const log = s.tr.logLines.join('\n');
  t.notOk(log.includes(token.split('.')[2]), 'the token is never logged');
  t.notOk(/"d":"/.test(log), 'no private key in the log');
});

t.test('several key sets: the JWKS lists every key, tokens name theirs', async (t) => {
  const s = await jwtSetup(t);
  await s.ok('POST', 'jwt/keys/edge', { algorithm: 'EdDSA' });
  await s.ok('POST', 'jwt/keys/legacy', { algorithm: 'RS256' });
  await s.ok('POST', 'jwt/roles/edge', { key: 'edge', ttl: 300, audience: ['a', 'b'] });
  await s.ok('POST', 'jwt/roles/legacy', { key: 'legacy', ttl: 300 });
  const base = await s.tr.listen();
  const jwks = createRemoteJWKSet(new URL(`${base}/v1/jwt/.well-known/jwks.json`));
  for (const [role, alg] of [['svc', 'ES256'], ['edge', 'EdDSA'], ['legacy', 'RS256']]) {
    const { token } = await s.issue(role);
    const { protectedHeader } = await jwtVerify(token, jwks);
    t.equal(protectedHeader.alg, alg, `${role} signs with ${alg}`);
  }
  const keys = (await s.jwks()).keys;
  t.equal(keys.length, 3);
  t.equal(new Set(keys.map((k) => k.kid)).size, 3, 'kids are unique');
});

t.test('bad roles and key sets are 400s', async (t) => {
  const s = await jwtSetup(t);
  const bad = async (path: string, body: unknown) => (await s.tr.call('POST', path, { body })).status;
  t.equal(await bad('jwt/keys/x', { algorithm: 'HS256' }), 400);
  t.equal(await bad('jwt/keys/x', { rotation_period: 'soon' }), 400);
  t.equal(await bad('jwt/keys/x', { private_key: '{}' }), 400, 'key material cannot be supplied');
  t.equal(await bad('jwt/roles/r', { key: 'main', claims: { sub: 'root' } }), 400, 'reserved claim');
  t.equal(await bad('jwt/roles/r', { key: 'nope' }), 400, 'unknown key set');
  t.equal(await bad('jwt/roles/r', { key: 'main', audience: { a: 1 } }), 400);
  await s.ok('POST', 'jwt/roles/long', { key: 'main', ttl: '2h' });
  const res = await s.tr.call('GET', 'jwt/token/long', { token: s.caller });
  t.equal(res.status, 400, 'a token outliving the verification window is refused');
  t.match(res.body.errors[0], /verification_ttl/);
});
