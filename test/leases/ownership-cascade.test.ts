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

t.test('revoke-orphan: the token and its own leases go; its children become orphans and keep theirs', async (t) => {
  for (const devMode of [false, true]) {
    const mode = devMode ? 'dev' : 'server';
    const f = await fakeSetup(t, { devMode });
    t.equal((await f.tr.call('PUT', 'sys/policies/acl/app', { body: { policy: JSON.stringify(APP_POLICY) } })).status, 204);
    const grandparent = await token(f, undefined, ['app']);
    const parent = await token(f, grandparent, ['app']);
    const child = await token(f, parent, ['app']);
    const grandchild = await token(f, child, ['app']);
    const lease = async (as: string) => (await f.tr.call('GET', 'fake/creds/app', { token: as })).body as { lease_id: string; data: { username: string } };
    const [gpLease, pLease, cLease, gcLease] = [await lease(grandparent), await lease(parent), await lease(child), await lease(grandchild)];
    const revoked = (l: { data: { username: string } }) => f.count('revoke', l.data.username);

    let r = await f.tr.call('POST', 'auth/token/revoke-orphan', { token: grandparent, body: { token: parent } });
    t.equal(r.status, 403, `${mode}: revoke-orphan needs sudo`);
    r = await f.tr.call('POST', 'auth/token/revoke-orphan', { body: {} });
    t.equal(r.status, 400, 'the token is required');

    r = await f.tr.call('POST', 'auth/token/revoke-orphan', { body: { token: parent } });
    t.equal(r.status, 204);
    await f.tr.rt.reaper.runOnce();
    t.equal((await f.tr.call('GET', 'auth/token/lookup-self', { token: parent })).status, 403, 'the token is revoked');
    t.equal(await revoked(pLease), 1, 'and so is its own lease');
    t.equal(await revoked(cLease) + await revoked(gcLease), 0, "its children's leases live on");
    const childSelf = await f.tr.call('GET', 'auth/token/lookup-self', { token: child });
    t.equal(childSelf.status, 200, 'the child lives on');
    t.equal(childSelf.body.data.orphan, true, 'as an orphan');
    t.equal((await f.tr.call('GET', 'auth/token/lookup-self', { token: grandchild })).body.data.orphan, false, 'the grandchild keeps its parent');

    r = await f.tr.call('PUT', 'sys/leases/renew', { token: grandparent, body: { lease_id: cLease.lease_id } });
    t.equal(r.status, 403, 'a former ancestor may no longer act on the orphan\'s leases');
    r = await f.tr.call('PUT', 'sys/leases/renew', { token: child, body: { lease_id: gcLease.lease_id } });
    t.equal(r.status, 200, 'the orphan still may on its own child\'s');

    t.equal((await f.tr.call('POST', 'auth/token/revoke-self', { token: grandparent })).status, 204);
    await f.tr.rt.reaper.runOnce();
    t.equal(await revoked(gpLease), 1, "the former grandparent's revocation takes its own lease");
    t.equal(await revoked(cLease) + await revoked(gcLease), 0, 'and not the orphaned subtree\'s');
    t.equal((await f.tr.call('GET', 'auth/token/lookup-self', { token: grandchild })).status, 200, 'nor its tokens');

    t.equal((await f.tr.call('POST', 'auth/token/revoke-self', { token: child })).status, 204);
    await f.tr.rt.reaper.runOnce();
    t.equal((await f.tr.call('GET', 'auth/token/lookup-self', { token: grandchild })).status, 403, "the orphan's own cascade still reaches its child");
    t.equal(await revoked(cLease) + await revoked(gcLease), 2, 'and both their leases');

    r = await f.tr.call('POST', 'auth/token/revoke-orphan', { body: { token: parent } });
    t.equal(r.status, 204, 'an unknown or revoked token: 204, revocation is idempotent');
  }
});
