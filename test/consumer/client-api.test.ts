// LessorClient against a fake lessor: typed errors, list via ?list=true, backoff on 503 and on
// a refused connection, re-login after a 403. The real server is exercised by the e2e files.
import t from 'tap';
import { LessorApiError, LessorClient, LessorConnectionError } from '../../src/client/index.js';
import { freePort, waitUntil } from '../helpers/proc.js';
import { fakeLessor } from './fake-lessor.js';

t.test('approle login, read, list, typed errors', async (t) => {
  const f = await fakeLessor(t);
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId } });
  t.teardown(() => c.close());
  const res = await c.read<{ username: string }>('database/creds/app');
  t.match(res.data?.username, /^v-app-/);
  t.equal(f.logins, 1, 'logged in lazily, once');
  t.same(await c.list('secret/list-me'), ['a', 'b/']);
  const err = await c.read('database/nope').catch((e) => e);
  t.type(err, LessorApiError);
  t.equal(err.status, 404);

  const bad = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: 'wrong' } });
  const loginErr = await bad.read('database/creds/app').catch((e) => e);
  t.type(loginErr, LessorApiError);
  t.equal(loginErr.status, 400);
  t.same(loginErr.errors, ['invalid role ID or secret ID']);
  t.notMatch(loginErr.message, /wrong/, 'the secret ID is not in the message');
});

t.test('503s are retried with backoff', async (t) => {
  const f = await fakeLessor(t);
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId }, retry: { minTimeoutMs: 10, maxTimeoutMs: 50 } });
  t.teardown(() => c.close());
  f.fail503(3);
  const res = await c.read('database/creds/app');
  t.ok(res.lease_id);
  f.fail503(10);
  const err = await c.read('database/creds/app').catch((e) => e);
  t.equal(err.status, 503, 'gives up after its retries with the last answer');
});

t.test('a refused connection is retried, then a LessorConnectionError', async (t) => {
  const port = await freePort();
  const c = new LessorClient({ address: `http://127.0.0.1:${port}`, token: 'x', retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 } });
  const err = await c.read('database/creds/app').catch((e) => e);
  t.type(err, LessorConnectionError);
  t.match(err.message, /ECONNREFUSED/);
});

t.test('403 with credentials: one fresh login, then the request again', async (t) => {
  const f = await fakeLessor(t);
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId } });
  t.teardown(() => c.close());
  await c.read('database/creds/app');
  f.revokeTokens();
  const res = await c.read('database/creds/app');
  t.ok(res.lease_id);
  t.equal(f.logins, 2);
  const logins: unknown[] = [];
  c.on('login', (e) => logins.push(e));
  f.revokeTokens();
  await Promise.all([c.read('database/creds/app'), c.read('database/creds/app'), c.read('database/creds/app')]);
  t.equal(f.logins, 3, 'concurrent 403s share one login');
  t.equal(logins.length, 1);
});

t.test('static token: a 403 is final', async (t) => {
  const f = await fakeLessor(t);
  const c = new LessorClient({ address: f.url, token: 'not-a-token' });
  const err = await c.read('database/creds/app').catch((e) => e);
  t.equal(err.status, 403);
});

t.test('the token is renewed at two thirds of its TTL, and replaced by a login when capped', async (t) => {
  const f = await fakeLessor(t, { tokenTtl: 1, tokenMaxTtl: 2 });
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId } });
  t.teardown(() => c.close());
  const renewed: number[] = [];
  c.on('tokenRenewed', (e) => renewed.push(e.ttl));
  await c.login();
  // ttl 1 s, max 2 s: renewed at ~0.67 s (1 s granted), then at ~1.33 s only ~0.67 s is left: log in again.
  await waitUntil('second login', 5000, async () => f.logins >= 2);
  t.same(renewed, [1], 'one full renewal first');
  t.ok(f.tokenRenewals >= 2, 'the capped renewal was asked for');
  const res = await c.read('database/creds/app');
  t.ok(res.lease_id, 'the new token works');
});

t.test('a 403 on a live token (no permission) does not log in again', async (t) => {
  const f = await fakeLessor(t);
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId } });
  t.teardown(() => c.close());
  await c.read('database/creds/app');
  const err = await c.read('secret/forbidden').catch((e) => e);
  t.equal(err.status, 403);
  t.equal(f.logins, 1, 'still the first login');
});
