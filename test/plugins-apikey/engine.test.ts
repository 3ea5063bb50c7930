// The api-key engine driven directly (no HTTP): issue, verify, typo, renew, revoke, expire,
// overlap, on a real Redis with an injected clock.
import t from 'tap';
import plugin from '../../plugins/api-key/index.js';
import { parseKey } from '../../plugins/api-key/key-format.js';
import { verifyKey } from '../../plugins/api-key/verify.js';
import type { Teardown } from '../helpers/context.js';
import { engineContext, requester } from './engine-context.js';

const role = { key_prefix: 'acme_live', scopes: ['orders:read', 'orders:write'], metadata: { team: 'shop' } };

async function setup(tt: Teardown, opts: { atomicUpdate?: boolean } = {}) {
  const ctx = await engineContext(tt, opts);
  const engine = plugin.create();
  await engine.initialize({ config: {}, verifyConnection: false }, ctx);
  let n = 0;
  const issue = async (ttlMs = 3600_000) => {
    const leaseId = `apikey/creds/svc/lease${++n}`;
    const credentialId = engine.credentialId({ leaseId, roleName: 'svc', role, requester: requester(), now: ctx.now() });
    const expiresAt = ctx.now() + ttlMs;
    const res = await engine.newCredential(
      { credentialId, roleName: 'svc', role, requester: requester(), expiresAt, maxExpiresAt: expiresAt * 2, leaseId }, ctx);
    return { credentialId, apiKey: String(res.data.api_key), data: res.data };
  };
  return { ctx, engine, issue };
}

t.test('an issued key verifies and says what it is for', async (t) => {
  const { ctx, engine, issue } = await setup(t);
  const k = await issue();
  t.equal(k.data.key_id, k.credentialId);
  t.same(k.data.scopes, role.scopes);
  t.match(k.apiKey, /^acme_live_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}$/);
  t.equal(engine.credentialId({ leaseId: 'apikey/creds/svc/lease1', roleName: 'svc', role, requester: requester(), now: 0 }),
    k.credentialId, 'credentialId is pure');
  const v = await verifyKey(k.apiKey, ctx);
  t.match(v, { valid: true, key_id: k.credentialId, role: 'svc', scopes: role.scopes, metadata: { team: 'shop' } });
  t.ok(Date.parse(v.expire_time!) > ctx.now());
  t.notOk(ctx.logLines.join('\n').includes(k.apiKey.split('_').pop()!.slice(0, 20)), 'the secret is never logged');
  const secret = (parseKey(k.apiKey) as { secret: string }).secret;
  const record = await ctx.state.get<Record<string, unknown>>(`key:${k.credentialId}`);
  t.notOk(JSON.stringify(record).includes(secret), 'only a digest is stored');
});

t.test('a one-character change fails the checksum without a state read', async (t) => {
  const { ctx, issue } = await setup(t);
  const k = await issue();
  const at = k.apiKey.length - 20; // inside the secret
  const typo = k.apiKey.slice(0, at) + (k.apiKey[at] === 'a' ? 'b' : 'a') + k.apiKey.slice(at + 1);
  const reads = ctx.stateReads();
  t.match(await verifyKey(typo, ctx), { valid: false, reason: 'bad_checksum' });
  t.equal(ctx.stateReads(), reads, 'rejected offline');
  t.match(await verifyKey('not-a-key', ctx), { valid: false, reason: 'malformed' });
  t.match(await verifyKey(k.apiKey.slice(0, -1), ctx), { valid: false, reason: 'malformed' });
});

t.test('a valid-looking key with a wrong secret is unknown', async (t) => {
  const { ctx, issue } = await setup(t);
  const a = await issue();
  const b = await issue();
  // b's secret under a's id, with a correct checksum: the digest binds id and secret.
  const { formatKey } = await import('../../plugins/api-key/key-format.js');
  const forged = formatKey('acme_live', a.credentialId, (parseKey(b.apiKey) as { secret: string }).secret);
  t.match(await verifyKey(forged, ctx), { valid: false, reason: 'unknown' });
});

t.test('renewal moves the expiry; expiry and revocation end the key', async (t) => {
  const { ctx, engine, issue } = await setup(t);
  const k = await issue(60_000);
  ctx.advance(50_000);
  await engine.updateCredential!({ credentialId: k.credentialId, roleName: 'svc', role, expiresAt: ctx.now() + 60_000 }, ctx);
  ctx.advance(50_000);
  t.match(await verifyKey(k.apiKey, ctx), { valid: true }, 'still valid after the original expiry thanks to renewal');
  ctx.advance(20_000);
  t.match(await verifyKey(k.apiKey, ctx), { valid: false, reason: 'expired' });

  const r = await issue();
  await engine.deleteCredential({ credentialId: r.credentialId, roleName: 'svc', role }, ctx);
  await engine.deleteCredential({ credentialId: r.credentialId, roleName: 'svc', role }, ctx);
  t.match(await verifyKey(r.apiKey, ctx), { valid: false, reason: 'unknown' }, 'revoked, and delete is idempotent');
});

t.test('two overlapping keys from one role both verify until the first ends', async (t) => {
  const { ctx, engine, issue } = await setup(t);
  const first = await issue(60_000);
  ctx.advance(40_000);
  const second = await issue(60_000);
  t.not(first.apiKey, second.apiKey);
  t.match(await verifyKey(first.apiKey, ctx), { valid: true });
  t.match(await verifyKey(second.apiKey, ctx), { valid: true });
  ctx.advance(30_000);
  t.match(await verifyKey(first.apiKey, ctx), { valid: false, reason: 'expired' });
  t.match(await verifyKey(second.apiKey, ctx), { valid: true });
  await engine.deleteCredential({ credentialId: second.credentialId, roleName: 'svc', role }, ctx);
  t.match(await verifyKey(second.apiKey, ctx), { valid: false });
});

t.test('with the core\'s atomic state update: renewal is one state step and never brings back a revoked key', async (t) => {
  const { ctx, engine, issue } = await setup(t, { atomicUpdate: true });
  const k = await issue(60_000);
  ctx.advance(50_000);
  const reads = ctx.stateReads();
  await engine.updateCredential!({ credentialId: k.credentialId, roleName: 'svc', role, expiresAt: ctx.now() + 60_000 }, ctx);
  t.equal(ctx.stateReads(), reads, 'no separate read');
  ctx.advance(50_000);
  const v = await verifyKey(k.apiKey, ctx);
  t.match(v, { valid: true, scopes: role.scopes, metadata: role.metadata, role: 'svc' }, 'renewed, and the rest of the record intact');
  t.equal(v.expire_time, new Date(ctx.now() + 10_000).toISOString());

  await engine.deleteCredential({ credentialId: k.credentialId, roleName: 'svc', role }, ctx);
  await t.rejects(
    engine.updateCredential!({ credentialId: k.credentialId, roleName: 'svc', role, expiresAt: ctx.now() + 60_000 }, ctx),
    /no longer exists/, 'a revoked key cannot be renewed',
  );
  t.match(await verifyKey(k.apiKey, ctx), { valid: false, reason: 'unknown' }, 'and stays gone');
});
