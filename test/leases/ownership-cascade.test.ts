// Leases belong to the token that got them: only it, its ancestors, or a token with sudo on the
// sys/leases path may act on them; revoking a token revokes its children's leases too.
import t from 'tap';
import { fakeSetup } from './fake-setup.js';

const APP_POLICY = {
  path: {
    'fake/creds/*': { capabilities: ['read'] },
    'sys/leases/*': { capabilities: ['update', 'list'] },
    'auth/token/create': { capabilities: ['update'] },
    'auth/token/revoke-self': { capabilities: ['update'] },
  },
};
const ADMIN_POLICY = { path: { 'sys/leases/*': { capabilities: ['update', 'sudo'] } } };

async function token(f: Awaited<ReturnType<typeof fakeSetup>>, as: string | undefined, policies: string[], extra: object = {}) {
  const r = await f.tr.call('POST', 'auth/token/create', { token: as, body: { policies, ...extra } });
  if (r.status !== 200) throw new Error(`token create: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.auth.client_token as string;
}

t.test('ownership and the token cascade', async (t) => {
  const f = await fakeSetup(t);
  for (const [name, doc] of [['app', APP_POLICY], ['admin', ADMIN_POLICY]] as const) {
    const r = await f.tr.call('PUT', `sys/policies/acl/${name}`, { body: { policy: JSON.stringify(doc) } });
    t.equal(r.status, 204, `policy ${name}`);
  }
  const parent = await token(f, undefined, ['app']);
  const child = await token(f, parent, ['app']);
  const stranger = await token(f, undefined, ['app']);
  // Without the default policy: its exact sys/leases/lookup rule would win over admin's glob.
  const admin = await token(f, undefined, ['admin'], { no_default_policy: true });

  const childLease = (await f.tr.call('GET', 'fake/creds/app', { token: child })).body;
  const parentLease = (await f.tr.call('GET', 'fake/creds/app', { token: parent })).body;
  const strangerLease = (await f.tr.call('GET', 'fake/creds/app', { token: stranger })).body;
  t.ok(childLease.lease_id && parentLease.lease_id && strangerLease.lease_id, 'three leases issued');

  let r = await f.tr.call('PUT', 'sys/leases/renew', { token: stranger, body: { lease_id: childLease.lease_id } });
  t.equal(r.status, 403, "a token cannot renew another token's lease");
  r = await f.tr.call('PUT', 'sys/leases/lookup', { token: stranger, body: { lease_id: childLease.lease_id } });
  t.equal(r.status, 403, 'nor look it up');
  r = await f.tr.call('PUT', 'sys/leases/revoke', { token: stranger, body: { lease_id: childLease.lease_id } });
  t.equal(r.status, 403, 'nor revoke it');
  r = await f.tr.call('PUT', 'sys/leases/renew', { token: child, body: { lease_id: parentLease.lease_id } });
  t.equal(r.status, 403, "a child cannot touch its parent's lease");
  r = await f.tr.call('PUT', 'sys/leases/renew', { token: parent, body: { lease_id: childLease.lease_id } });
  t.equal(r.status, 200, "a parent may renew its child's lease");
  r = await f.tr.call('PUT', 'sys/leases/lookup', { token: admin, body: { lease_id: strangerLease.lease_id } });
  t.equal(r.status, 200, 'sudo on the sys/leases path may act on any lease');
  r = await f.tr.call('LIST', 'sys/leases/lookup/fake/creds/app', { token: stranger });
  t.same(r.body.data.keys, [strangerLease.lease_id.split('/').pop()], 'a list without sudo shows only own leases');
  r = await f.tr.call('LIST', 'sys/leases/lookup/fake/creds/app');
  t.equal(r.body.data.keys.length, 3, 'root sees all');
  r = await f.tr.call('PUT', 'sys/leases/revoke-prefix/fake/creds/app', { token: stranger });
  t.equal(r.status, 403, 'revoke-prefix needs sudo');
  t.equal(await f.count('revoke'), 0, 'and nothing was revoked by refused requests');

  // Revoking the parent revokes the child token, and both tokens' leases follow.
  r = await f.tr.call('POST', 'auth/token/revoke-self', { token: parent });
  t.equal(r.status, 204);
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.count('revoke', childLease.data.username), 1, "the child token's lease is revoked");
  t.equal(await f.count('revoke', parentLease.data.username), 1, "the parent token's lease is revoked");
  t.equal(await f.count('revoke', strangerLease.data.username), 0, 'an unrelated lease lives on');
  t.ok(await f.tr.rt.leases.store.get(strangerLease.lease_id));
});
