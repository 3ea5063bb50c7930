// The jwt-signing plugin driven directly (engine, routes, rotation job) on a real Redis with an
// injected clock, through a stand-in MountApi. The end-to-end tests repeat the essentials
// through the real core over HTTP.
import t from 'tap';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import type { JwtRole } from '../../plugins/jwt-signing/engine.js';
import type { Teardown } from '../helpers/context.js';
import { requester } from '../plugins-apikey/engine-context.js';
import { fakeMount, type FakeMount } from './mount-api.js';

const role: JwtRole = {
  key: 'main',
  ttl: '10m',
  audience: ['orders', 'billing'],
  issuer: 'https://lessor.test/v1/jwt',
  claims: { team: '{{identity.entity.metadata.team}}', who: 'svc-{{identity.entity.name}}', policies: '{{identity.token.policies}}', gone: '{{identity.entity.metadata.nope}}' },
};

async function issue(m: FakeMount, r: JwtRole = role, ttlMs = 600_000) {
  const n = Math.random();
  const engine = await m.api.withInstance(r.key, async (i) => i.engine);
  const leaseId = `jwt/token/svc/${n}`;
  const who = requester({ entityName: 'billing-api', metadata: { team: 'payments' } });
  const credentialId = engine.credentialId({ leaseId, roleName: 'svc', role: r, requester: who, now: m.ctx.now() });
  const expiresAt = m.ctx.now() + ttlMs;
  const res = await engine.newCredential({ credentialId, roleName: 'svc', role: r, requester: who, expiresAt, maxExpiresAt: expiresAt, leaseId }, m.ctx);
  return { token: String(res.data.token), credentialId, engine };
}

const jwks = async (m: FakeMount) => (await m.route('GET', '.well-known/jwks.json')).data as JSONWebKeySet;
const verify = async (m: FakeMount, token: string, at = m.ctx.now()) =>
  jwtVerify(token, createLocalJWKSet(await jwks(m)), { currentDate: new Date(at), audience: 'orders' });

async function setup(tt: Teardown, algorithm: string) {
  const m = await fakeMount(tt);
  await m.putKeySet('main', { algorithm, rotation_period: '1h', verification_ttl: '30m' });
  return m;
}

for (const algorithm of ['EdDSA', 'ES256', 'RS256']) {
  t.test(`${algorithm}: a token carries kid, jti, iat, exp, aud, iss, sub and templated claims`, async (t) => {
    const m = await setup(t, algorithm);
    const { token, credentialId } = await issue(m);
    const { payload, protectedHeader } = await verify(m, token);
    t.equal(protectedHeader.alg, algorithm);
    t.ok(protectedHeader.kid);
    t.match(payload, { jti: credentialId, iss: role.issuer, sub: 'billing-api', aud: ['orders', 'billing'], team: 'payments', who: 'svc-billing-api', policies: ['default'] });
    t.notOk('gone' in payload, 'a claim with no value is left out');
    t.equal(payload.exp! - payload.iat!, 600);
    t.notOk(m.ctx.logLines.join('\n').includes(token.split('.')[2]), 'the token is never logged');
  });
}

t.test('after a rotation old tokens verify until verification_ttl, and the JWKS drops the key then', async (t) => {
  const m = await setup(t, 'ES256'); // verification_ttl 30m
  const t0 = m.ctx.now();
  const old = await issue(m, role, 20 * 60_000);
  const oldKid = decodeProtectedHeader(old.token).kid;
  m.ctx.advance(60_000);
  await m.route('POST', 'keys/:name/rotate', { name: 'main' });
  const fresh = await issue(m);
  t.not(decodeProtectedHeader(fresh.token).kid, oldKid, 'the cached instance signs with the new key');
  t.equal((await jwks(m)).keys.length, 2, 'current and previous key published');
  m.ctx.advance(15 * 60_000);
  await verify(m, old.token).then(() => t.pass('old token verifies inside the window'));
  m.ctx.setNow(t0 + 60_000 + 30 * 60_000 - 1000);
  t.ok((await jwks(m)).keys.some((k) => k.kid === oldKid), 'old key still published just before the window ends');
  m.ctx.setNow(t0 + 60_000 + 30 * 60_000 + 1000);
  t.notOk((await jwks(m)).keys.some((k) => k.kid === oldKid), 'gone once retired_at + verification_ttl passed');
  // Even judged at a time inside its exp, the old token no longer finds its key.
  await t.rejects(verify(m, old.token, t0 + 60_000), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  await verify(m, fresh.token, t0 + 120_000).then(() => t.pass('new token verifies'));
});

t.test('introspect: live, revoked, foreign', async (t) => {
  const m = await setup(t, 'EdDSA');
  const a = await issue(m);
  const live = (await m.route('POST', 'introspect', {}, { token: a.token })).data as Record<string, unknown>;
  t.match(live, { active: true, jti: a.credentialId, sub: 'billing-api' });
  await a.engine.deleteCredential({ credentialId: a.credentialId, roleName: 'svc', role }, m.ctx);
  t.same((await m.route('POST', 'introspect', {}, { token: a.token })).data, { active: false });
  t.same((await m.route('POST', 'introspect', {}, { token: 'abc.def.ghi' })).data, { active: false });
});

t.test('scheduled rotation: job due at created_at + rotation_period, re-checked when run', async (t) => {
  const m = await setup(t, 'ES256');
  const first = (await m.api.readConfig('main'))!.current_kid;
  const due = m.jobs.get('rotate:main')!;
  t.ok(due > m.ctx.now() + 3599_000 && due <= m.ctx.now() + 3600_000);
  t.same(await m.runDueJobs(), []);
  m.ctx.setNow(due);
  t.same(await m.runDueJobs(), ['rotate:main']);
  const second = (await m.api.readConfig('main'))!.current_kid;
  t.not(second, first);
  t.ok(m.jobs.get('rotate:main')! >= due + 3600_000 - 1000, 'the next rotation is scheduled');
  // A duplicate run of the same job (a replica retrying) must not rotate again.
  const { runJob } = (await import('../../plugins/jwt-signing/index.js')).default;
  await runJob!('rotate:main', m.api);
  t.equal((await m.api.readConfig('main'))!.current_kid, second);
});

t.test('bad input is a config error', async (t) => {
  const m = await setup(t, 'ES256');
  await t.rejects(issue(m, { ...role, ttl: '2h' }, 2 * 3600_000), { kind: 'config', message: /verification_ttl/ });
  await t.rejects(issue(m, { ...role, claims: '{"sub":"x"}' }), { kind: 'config', message: /sub/ });
  await t.rejects(issue(m, { ...role, claims: '{"x":"{{identity.nope}}"}' }), { kind: 'config', message: /placeholder/ });
  const decoded = decodeJwt((await issue(m, { ...role, subject: '{{identity.entity.metadata.none}}' })).token);
  t.equal(decoded.sub, 'token-app', 'subject falls back to the display name');
});

t.test('an overdue rotation nobody scheduled is scheduled when the JWKS is read', async (t) => {
  const m = await setup(t, 'EdDSA');
  m.jobs.clear(); // as if the job had been lost
  await m.route('GET', '.well-known/jwks.json');
  t.equal(m.jobs.size, 0, 'nothing to do before the rotation time');
  m.ctx.advance(3600_000);
  const res = await m.route('GET', '.well-known/jwks.json');
  t.equal(res.headers?.['cache-control'], 'public, max-age=0', 'verifiers are told to refetch');
  t.same(await m.runDueJobs(), ['rotate:main']);
  const after = await m.route('GET', '.well-known/jwks.json');
  t.equal((after.data as JSONWebKeySet).keys.length, 2, 'new key plus the one retired now');
  t.equal(after.headers?.['cache-control'], 'public, max-age=3600');
});
