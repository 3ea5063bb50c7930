// Periodic tokens (Vault's `period`): a service token that lives as long as it is renewed, each
// renewal granting the period whatever increment is asked, with no max TTL unless an explicit
// one is set. Creating one takes root or sudo, as in Vault.
import t from 'tap';
import { hashToken } from '../../src/auth/tokens.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('auth/token/create with period', async (t) => {
  const tr = await testRuntime(t);
  const c = await tr.call('POST', 'auth/token/create', { body: { policies: ['default'], period: '1h', ttl: '10m' } });
  t.equal(c.status, 200, JSON.stringify(c.body));
  t.equal(c.body.auth.lease_duration, 3600, 'the TTL is the period (ttl is ignored)');
  t.equal(c.body.auth.renewable, true);
  const token = c.body.auth.client_token;
  const look = (await tr.call('GET', 'auth/token/lookup-self', { token })).body.data;
  t.equal(look.period, 3600, 'lookup shows the period');
  t.equal(look.explicit_max_ttl, 0);
  t.equal((await tr.rt.tokens.lookup(hashToken(token)))!.record.maxExpireTime, 0, 'no max TTL: it lives while renewed');

  for (const increment of [60, 86_400]) {
    const r = await tr.call('POST', 'auth/token/renew-self', { token, body: { increment } });
    t.equal(r.status, 200);
    t.equal(r.body.auth.lease_duration, 3600, `renewal by ${increment}s grants the period`);
  }

  const capped = await tr.call('POST', 'auth/token/create', { body: { period: '1h', explicit_max_ttl: '30m' } });
  t.equal(capped.body.auth.lease_duration, 1800, 'explicit_max_ttl still caps a periodic token');
  const renewed = await tr.call('POST', 'auth/token/renew-self', { token: capped.body.auth.client_token, body: {} });
  t.ok(renewed.body.auth.lease_duration <= 1800, 'and its renewals');

  const huge = await tr.call('POST', 'auth/token/create', { body: { period: '800h' } });
  t.equal(huge.body.auth.lease_duration, 768 * 3600, 'a period past the system max TTL is capped');
  t.match(huge.body.warnings.join(' '), /period .* capped/, 'with a warning');

  const plain = (await tr.call('POST', 'auth/token/create', { body: { ttl: '1h' } })).body.auth;
  t.notOk('period' in (await tr.call('GET', 'auth/token/lookup-self', { token: plain.client_token })).body.data, 'ordinary tokens show no period');
  t.equal((await tr.call('POST', 'auth/token/create', { body: { period: 'soon' } })).status, 400, 'a bad period is a 400');
});

t.test('creating a periodic token takes root or sudo on auth/token/create', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('PUT', 'sys/policies/acl/issuer', { body: { policy: 'path "auth/token/create" { capabilities = ["update"] }' } });
  await tr.call('PUT', 'sys/policies/acl/admin', { body: { policy: 'path "auth/token/create" { capabilities = ["update", "sudo"] }' } });
  const issuer = (await tr.call('POST', 'auth/token/create', { body: { policies: ['issuer'] } })).body.auth.client_token;
  const admin = (await tr.call('POST', 'auth/token/create', { body: { policies: ['admin'] } })).body.auth.client_token;
  const refused = await tr.call('POST', 'auth/token/create', { token: issuer, body: { period: '1h' } });
  t.equal(refused.status, 403);
  t.match(refused.body.errors.join(' '), /sudo/);
  t.equal((await tr.call('POST', 'auth/token/create', { token: issuer, body: { ttl: '1h' } })).status, 200, 'the same token may create ordinary ones');
  const ok = await tr.call('POST', 'auth/token/create', { token: admin, body: { period: '1h' } });
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  t.equal(ok.body.auth.lease_duration, 3600);
});

t.test('AppRole token_period: logins get periodic tokens, token_max_ttl does not cap them', async (t) => {
  const tr = await testRuntime(t);
  const w = await tr.call('POST', 'auth/approle/role/svc', { body: { token_period: '1h', token_max_ttl: '2h', token_policies: 'default' } });
  t.equal(w.status, 204, JSON.stringify(w.body));
  t.equal((await tr.call('GET', 'auth/approle/role/svc')).body.data.token_period, 3600);
  const roleId = (await tr.call('GET', 'auth/approle/role/svc/role-id')).body.data.role_id;
  const secretId = (await tr.call('POST', 'auth/approle/role/svc/secret-id')).body.data.secret_id;
  const login = await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } });
  t.equal(login.status, 200);
  t.equal(login.body.auth.lease_duration, 3600);
  const token = login.body.auth.client_token;
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token })).body.data.period, 3600);
  t.equal((await tr.rt.tokens.lookup(hashToken(token)))!.record.maxExpireTime, 0, 'token_max_ttl ignored for a periodic token');

  // The legacy field and the empty zero value some clients send both still work.
  t.equal((await tr.call('POST', 'auth/approle/role/svc', { body: { period: '' } })).status, 204);
  t.equal((await tr.call('GET', 'auth/approle/role/svc')).body.data.token_period, 0, 'period "" turns it off');
});
