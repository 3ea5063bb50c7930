// Vault's root-protected paths need `sudo` in addition to the operation's own capability: both,
// not either. Other paths need no sudo (auth/token/create-orphan is ACLed like any other).
import t from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

async function tokenWith(tr: TestRuntime, path: string, capabilities: string[]): Promise<string> {
  const name = `p-${path.replace(/[^a-z0-9]+/gi, '-')}-${capabilities.join('-')}`;
  const put = await tr.call('PUT', `sys/policies/acl/${name}`, { body: { policy: JSON.stringify({ path: { [path]: { capabilities } } }) } });
  if (put.status !== 204) throw new Error(`policy: ${put.status} ${JSON.stringify(put.body)}`);
  return (await tr.call('POST', 'auth/token/create', { body: { policies: [name] } })).body.auth.client_token;
}

t.test('root-protected paths take the capability and sudo, not one of them', async (t) => {
  const tr = await testRuntime(t);
  const cases: Array<{ method: string; path: string; policyPath: string; capability: string; ok: number }> = [
    { method: 'POST', path: 'sys/rotate', policyPath: 'sys/rotate', capability: 'update', ok: 204 },
    { method: 'GET', path: 'sys/audit', policyPath: 'sys/audit', capability: 'read', ok: 200 },
    { method: 'LIST', path: 'auth/token/accessors', policyPath: 'auth/token/accessors', capability: 'list', ok: 200 },
    { method: 'POST', path: 'sys/leases/revoke-prefix/apikey/creds/none', policyPath: 'sys/leases/revoke-prefix/*', capability: 'update', ok: 204 },
    { method: 'POST', path: 'sys/leases/revoke-force/apikey/creds/none', policyPath: 'sys/leases/revoke-force/*', capability: 'update', ok: 204 },
  ];
  for (const c of cases) {
    const alone = await tokenWith(tr, c.policyPath, [c.capability]);
    const sudoOnly = await tokenWith(tr, c.policyPath, ['sudo']);
    const both = await tokenWith(tr, c.policyPath, [c.capability, 'sudo']);
    t.equal((await tr.call(c.method, c.path, { token: alone })).status, 403, `${c.method} ${c.path}: ${c.capability} alone is refused`);
    t.equal((await tr.call(c.method, c.path, { token: sudoOnly })).status, 403, `${c.method} ${c.path}: sudo alone is refused`);
    const res = await tr.call(c.method, c.path, { token: both });
    t.equal(res.status, c.ok, `${c.method} ${c.path}: ${c.capability} and sudo ${JSON.stringify(res.body)}`);
  }
});

t.test('revoke-orphan takes update and sudo; create-orphan and key-status take only their capability', async (t) => {
  const tr = await testRuntime(t);
  const victim = async () => (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token as string;

  const updateOnly = await tokenWith(tr, 'auth/token/revoke-orphan', ['update']);
  const first = await victim();
  t.equal((await tr.call('POST', 'auth/token/revoke-orphan', { token: updateOnly, body: { token: first } })).status, 403, 'update alone is refused');
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: first })).status, 200, 'and the token is still there');
  const both = await tokenWith(tr, 'auth/token/revoke-orphan', ['update', 'sudo']);
  t.equal((await tr.call('POST', 'auth/token/revoke-orphan', { token: both, body: { token: first } })).status, 204);
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: first })).status, 403, 'revoked');

  const orphanMaker = await tokenWith(tr, 'auth/token/create-orphan', ['update']);
  const made = await tr.call('POST', 'auth/token/create-orphan', { token: orphanMaker, body: { policies: ['default'] } });
  t.equal(made.status, 200, `update on create-orphan is enough, as in Vault ${JSON.stringify(made.body)}`);
  t.equal((await tr.call('POST', 'auth/token/lookup', { body: { token: made.body.auth.client_token } })).body.data.orphan, true);
  t.equal((await tr.call('POST', 'auth/token/create-orphan', { token: await tokenWith(tr, 'auth/token/create-orphan', ['sudo']), body: {} })).status, 403,
    'sudo alone does not create');

  t.equal((await tr.call('GET', 'sys/key-status', { token: await tokenWith(tr, 'sys/key-status', ['read']) })).status, 200, 'key-status is not root-protected');
});
