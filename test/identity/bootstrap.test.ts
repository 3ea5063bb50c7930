import { randomBytes } from 'node:crypto';
import t from 'tap';
import { ownRedis } from '../helpers/context.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('lessor server on an empty install generates a root token once', async (t) => {
  const first = await testRuntime(t, { env: { LESSOR_ROOT_TOKEN: '' } });
  const root = first.rt.rootTokenNotice;
  t.match(root, /^lsr\./, 'a root token to print');
  t.notOk(first.logLines.join('\n').includes(root!), 'never written to the service log');
  const self = await first.call('GET', 'auth/token/lookup-self', { token: root! });
  t.same(self.body.data.policies, ['root']);
  t.equal(self.body.data.ttl, 0, 'the root token does not expire');

  const second = await testRuntime(t, { shareWith: first, env: { LESSOR_ROOT_TOKEN: '' } });
  t.equal(second.rt.rootTokenNotice, undefined, 'a second start (or replica) prints nothing');

  // The operator creates an admin and revokes the root token; a restart does not bring it back.
  await first.call('PUT', 'sys/policies/acl/admin', { token: root!, body: { policy: 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }' } });
  // (A child token of root would go with it: admins are logins, or orphans.)
  t.equal((await first.call('POST', 'auth/userpass/users/ops', { token: root!, body: { password: 'a long admin password', token_policies: ['admin'] } })).status, 204);
  t.equal((await first.call('POST', 'auth/token/revoke-self', { token: root! })).status, 204);
  t.equal((await first.call('GET', 'auth/token/lookup-self', { token: root! })).status, 403);
  const third = await testRuntime(t, { shareWith: first, env: { LESSOR_ROOT_TOKEN: '' } });
  t.equal(third.rt.rootTokenNotice, undefined);
  const admin = (await third.call('POST', 'auth/userpass/login/ops', { token: null, body: { password: 'a long admin password' } })).body.auth.client_token;
  t.equal((await third.call('GET', 'sys/key-status', { token: admin })).status, 200, 'the admin token works');
  t.equal((await third.call('POST', 'sys/rotate', { token: admin })).status, 204, 'including sudo paths');
});

t.test('LESSOR_ROOT_TOKEN and dev mode root tokens', async (t) => {
  const tr = await testRuntime(t);
  t.equal(tr.rt.rootTokenNotice, undefined, 'a configured root token is not printed by the server');
  t.same((await tr.call('GET', 'auth/token/lookup-self')).body.data.policies, ['root']);
  const dev = await testRuntime(t, { devMode: true });
  t.equal(dev.rt.rootTokenNotice, dev.rootToken, 'lessor dev prints its root token');
  t.equal((await dev.call('GET', 'auth/token/lookup-self')).status, 200);
});

t.test('replicas starting at once with a new LESSOR_ROOT_TOKEN store it once', async (t) => {
  const first = await testRuntime(t);
  const token = `lsr.${randomBytes(32).toString('base64url')}`;
  const replicas = await Promise.all([0, 1, 2].map(() => testRuntime(t, { shareWith: first, env: { LESSOR_ROOT_TOKEN: token } })));
  for (const r of replicas) t.equal((await r.call('GET', 'auth/token/lookup-self', { token })).status, 200, 'every replica started and knows it');
  const accessors = (await first.call('LIST', 'auth/token/accessors')).body.data.keys as string[];
  const roots = [];
  for (const accessor of accessors) {
    const look = await first.call('POST', 'auth/token/lookup-accessor', { body: { accessor } });
    if (look.body.data?.path === 'auth/token/root') roots.push(accessor);
  }
  t.equal(roots.length, 2, "the first install's root token and the new one, each with one accessor (none left pointing at an overwritten record)");

  const chosen = await first.call('POST', 'auth/token/create', { body: { id: 'a-chosen-token-id' } });
  t.equal(chosen.status, 200);
  const again = await first.call('POST', 'auth/token/create', { body: { id: 'a-chosen-token-id', policies: ['default'] } });
  t.equal(again.status, 400, 'a token id in use is refused, as in Vault');
  t.match(again.body.errors.join(' '), /duplicate ID/);
  t.equal((await first.call('GET', 'auth/token/lookup-self', { token: 'a-chosen-token-id' })).body.data.accessor, chosen.body.auth.accessor, 'the first token stands');
});

t.test('a bootstrap that cannot store its root token (Redis down) is retried by the next start', async (t) => {
  const redis = await ownRedis(t);
  await redis.stop();
  const first = await testRuntime(t, { env: { LESSOR_ROOT_TOKEN: '', LESSOR_REDIS_URL: redis.url() } });
  t.equal(first.rt.rootTokenNotice, undefined, 'no token printed that does not exist');
  await redis.start();
  const second = await testRuntime(t, { shareWith: first });
  t.match(second.rt.rootTokenNotice, /^lsr\./);
  t.equal((await second.call('GET', 'auth/token/lookup-self', { token: second.rt.rootTokenNotice! })).status, 200);
});
