// The api-key engine end to end through a whole lessor runtime (real PostgreSQL config store,
// real Redis lease store): issue over HTTP, verify as a service would, renew, revoke, expire.
import t from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';
import { manualClock, tokenWithPolicy } from './tokens.js';

async function setup(tt: Parameters<typeof testRuntime>[0]) {
  const clock = manualClock();
  const tr = await testRuntime(tt, { runtime: { clock: clock.now } });
  const role = await tr.call('POST', 'apikey/roles/orders', {
    body: { key_prefix: 'acme', scopes: ['orders:read'], default_ttl: '1h', max_ttl: '3h', metadata: { team: 'shop' } },
  });
  if (role.status !== 204) throw new Error(`role: ${role.status} ${JSON.stringify(role.body)}`);
  const verifier = await tokenWithPolicy(tr, 'verifier', { 'apikey/verify': ['update'] });
  const creds = async () => {
    const res = await tr.call('GET', 'apikey/creds/orders');
    if (res.status !== 200) throw new Error(`creds: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { lease_id: string; lease_duration: number; data: { key_id: string; api_key: string; scopes: string[] } };
  };
  const verify = async (apiKey: string, token: string | null = verifier) =>
    tr.call('POST', 'apikey/verify', { token, body: { api_key: apiKey } });
  return { tr, clock, verifier, creds, verify };
}

const noSecretsLogged = (t: { notOk(v: unknown, m: string): void }, tr: TestRuntime, keys: string[]) => {
  const log = tr.logLines.join('\n');
  for (const k of keys) t.notOk(log.includes(k.slice(-40)), 'no api key in the service log');
};

t.test('an issued key verifies; the role round-trips with durations in seconds', async (t) => {
  const { tr, clock, creds, verify } = await setup(t);
  const role = await tr.call('GET', 'apikey/roles/orders');
  t.match(role.body.data, { key_prefix: 'acme', scopes: ['orders:read'] });
  const c = await creds();
  t.equal(c.lease_duration, 3600);
  t.match(c.data, { key_id: /^[0-9A-Za-z]{22}$/, api_key: /^acme_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}$/, scopes: ['orders:read'] });
  const v = await verify(c.data.api_key);
  t.equal(v.status, 200);
  t.same(v.body.data, {
    valid: true, key_id: c.data.key_id, role: 'orders', scopes: ['orders:read'], metadata: { team: 'shop' },
    expire_time: new Date(clock.now() + 3600_000).toISOString(),
  });
  noSecretsLogged(t, tr, [c.data.api_key]);
});

t.test('verify needs a token with update on apikey/verify; bad input is a 400', async (t) => {
  const { tr, creds, verify } = await setup(t);
  const c = await creds();
  t.equal((await verify(c.data.api_key, null)).status, 403, 'no token');
  const reader = await tokenWithPolicy(tr, 'reader', { 'apikey/creds/*': ['read'] });
  t.equal((await verify(c.data.api_key, reader)).status, 403, 'token without the capability');
  const extra = await tr.call('POST', 'apikey/verify', { body: { api_key: c.data.api_key, extra: 1 } });
  t.equal(extra.status, 400);
  t.equal((await tr.call('POST', 'apikey/verify', { body: {} })).status, 400);
  t.equal((await tr.call('POST', 'apikey/roles/bad', { body: { key_prefix: 'has space' } })).status, 400);
});

t.test('a one-character change fails the checksum', async (t) => {
  const { creds, verify } = await setup(t);
  const key = (await creds()).data.api_key;
  for (const at of [key.length - 1, key.length - 30, 8]) {
    const typo = key.slice(0, at) + (key[at] === 'x' ? 'y' : 'x') + key.slice(at + 1);
    const v = await verify(typo);
    t.equal(v.status, 200);
    t.match(v.body.data, { valid: false, reason: 'bad_checksum' }, `change at ${at}`);
  }
  t.match((await verify('acme_short')).body.data, { valid: false, reason: 'malformed' });
});

t.test('a revoked key fails at once; renewal moves the expiry', async (t) => {
  const { tr, clock, creds, verify } = await setup(t);
  const c = await creds();
  clock.advance(30 * 60_000);
  const renew = await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: c.lease_id, increment: 3600 } });
  t.equal(renew.status, 200);
  t.equal((await verify(c.data.api_key)).body.data.expire_time, new Date(clock.now() + 3600_000).toISOString(), 'renewal moved the expiry');
  t.equal((await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: c.lease_id } })).status, 204);
  t.match((await verify(c.data.api_key)).body.data, { valid: false, reason: 'unknown' });
});

t.test('an expired key fails, and the reaper removes it', async (t) => {
  const { tr, clock, creds, verify } = await setup(t);
  const c = await creds();
  clock.advance(3600_000 + 1000);
  t.match((await verify(c.data.api_key)).body.data, { valid: false, reason: 'expired' }, 'invalid the moment it expires');
  await tr.rt.reaper.runOnce();
  t.match((await verify(c.data.api_key)).body.data, { valid: false, reason: 'unknown' }, 'record gone after the reaper ran');
});

t.test('two overlapping keys of one role both verify until the first ends', async (t) => {
  const { tr, clock, creds, verify } = await setup(t);
  const first = await creds();
  clock.advance(50 * 60_000); // the client rotates before its lease ends
  const second = await creds();
  t.not(first.data.key_id, second.data.key_id);
  t.match((await verify(first.data.api_key)).body.data, { valid: true });
  t.match((await verify(second.data.api_key)).body.data, { valid: true });
  clock.advance(11 * 60_000);
  await tr.rt.reaper.runOnce();
  t.match((await verify(first.data.api_key)).body.data, { valid: false }, 'first expired and reaped');
  t.match((await verify(second.data.api_key)).body.data, { valid: true }, 'second still good');
  const third = await creds();
  t.equal((await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: second.lease_id } })).status, 204);
  t.match((await verify(second.data.api_key)).body.data, { valid: false, reason: 'unknown' }, 'revoked');
  t.match((await verify(third.data.api_key)).body.data, { valid: true });
});
