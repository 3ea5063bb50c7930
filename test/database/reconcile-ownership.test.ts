// The reconciler touches only credentials its own config issued and has not finished revoking.
// On one server, next to its users, live: another config's, another lessor deployment's, and
// users made by hand or by another tool with the same name template. Only this config's
// credential whose lease was lost is an orphan, and with dry_run:false only it is dropped.
import t, { type Test } from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';
import { mariadbFixture } from './mariadb-fixture.js';
import { pgFixture } from './pg-fixture.js';

interface Target {
  tag: string;
  config: object;
  role: object;
  createByHand(user: string, password: string): Promise<void>;
  canLogin(user: string, password: string): Promise<boolean>;
  exists(user: string): Promise<boolean>;
}

const targets: Record<string, (t: Test) => Promise<Target>> = {
  postgres: async (t) => {
    const fx = await pgFixture(t);
    return {
      tag: fx.tag, config: fx.config, role: fx.groupRole, canLogin: fx.canSelect, exists: fx.roleExists,
      createByHand: async (user, password) => void (await fx.su(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}' IN ROLE "${fx.group}"`)),
    };
  },
  mariadb: async (t) => {
    const fx = await mariadbFixture(t);
    return {
      tag: fx.tag, config: fx.config, role: fx.role, canLogin: fx.canSelect, exists: fx.userExists,
      createByHand: async (user, password) => {
        await fx.root('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
        await fx.root(`GRANT SELECT ON \`${fx.dbName}\`.* TO ?@?`, [user, '%']);
      },
    };
  },
};

type Creds = { lease_id: string; data: { username: string; password: string } };

async function deployment(t: Test, target: Target, configs: string[]): Promise<TestRuntime> {
  const tr = await testRuntime(t);
  for (const name of configs) {
    t.equal((await tr.call('POST', `database/config/${name}`, { body: { ...target.config, allowed_roles: '*' } })).status, 204);
    t.equal((await tr.call('POST', `database/roles/${name}-app`, { body: { ...target.role, db_name: name } })).status, 204);
  }
  return tr;
}

async function creds(tr: TestRuntime, role: string): Promise<Creds> {
  const res = await tr.call('GET', `database/creds/${role}`);
  if (res.status !== 200) throw new Error(`creds: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The lease record is lost (a store restored from an older snapshot): the credential stays. */
async function loseLease(tr: TestRuntime, c: Creds): Promise<void> {
  await tr.rt.leases.store.remove(c.lease_id);
}

for (const [name, make] of Object.entries(targets)) {
  t.test(`${name}: reconcile lists and drops only what this config made`, async (t) => {
    const target = await make(t);
    const a = await deployment(t, target, ['one', 'two']);
    const b = await deployment(t, target, ['one']);

    const live = await creds(a, 'one-app');
    const lost = await creds(a, 'one-app');
    await loseLease(a, lost);
    const otherConfig = await creds(a, 'two-app');
    const otherConfigLost = await creds(a, 'two-app');
    await loseLease(a, otherConfigLost);
    const otherDeployment = await creds(b, 'one-app');
    const otherDeploymentLost = await creds(b, 'one-app');
    await loseLease(b, otherDeploymentLost);
    // The same name shape as lessor's own (the template's prefix), made outside this config.
    const byHand = { username: `${target.tag}-one-app-byhand`, password: 'made-by-hand-pw' };
    const vaultLike = { username: `${target.tag}-vault-app-x1`, password: 'made-by-vault-pw' };
    for (const u of [byHand, vaultLike]) await target.createByHand(u.username, u.password);

    const dry = await a.call('POST', 'database/reconcile/one', { body: {} });
    t.equal(dry.status, 200);
    t.same(dry.body.data, { dry_run: true, orphans: [lost.data.username], revoked: [] }, 'only this config\'s own credential without a lease');
    t.ok(await target.exists(lost.data.username), 'a dry run drops nothing');

    const wet = await a.call('POST', 'database/reconcile/one', { body: { dry_run: false } });
    t.same(wet.body.data, { dry_run: false, orphans: [lost.data.username], revoked: [lost.data.username] });
    t.notOk(await target.exists(lost.data.username), 'the orphan is dropped');
    const untouched = {
      'this config\'s live credential': live.data,
      'another config\'s live credential': otherConfig.data,
      'another config\'s credential without a lease': otherConfigLost.data,
      'another deployment\'s live credential': otherDeployment.data,
      'another deployment\'s credential without a lease': otherDeploymentLost.data,
      'a user made by hand': byHand,
      'a user made by another tool with the same template': vaultLike,
    };
    for (const [what, u] of Object.entries(untouched)) t.ok(await target.canLogin(u.username, u.password), `${what} still logs in`);

    t.same((await a.call('POST', 'database/reconcile/one', { body: { dry_run: false } })).body.data.orphans, [], 'nothing left to reconcile');
    t.same((await a.call('POST', 'database/reconcile/two', { body: {} })).body.data.orphans, [otherConfigLost.data.username], 'each config reconciles its own');
    t.same((await b.call('POST', 'database/reconcile/one', { body: {} })).body.data.orphans, [otherDeploymentLost.data.username], 'each deployment its own');

    // A revoked credential leaves the ownership record: it is never reported afterwards, even
    // if someone re-creates a user of that name.
    t.equal((await a.call('PUT', 'sys/leases/revoke', { body: { lease_id: live.lease_id } })).status, 204);
    await target.createByHand(live.data.username, 'recreated-pw');
    t.same((await a.call('POST', 'database/reconcile/one', { body: {} })).body.data.orphans, [], 'a re-created name is not this config\'s');
  });
}

// PostgreSQL also keeps the mark in the server (COMMENT ON ROLE, in the creation's transaction):
// a credential whose lease and ownership record were both lost with the lease store is still
// found by it, and a mark made by another config or deployment (or copied by hand) is not ours.
t.test('postgres: the mark in the server finds what the lease store forgot, and only that', async (t) => {
  const fx = await pgFixture(t);
  const target: Target = {
    tag: fx.tag, config: fx.config, role: fx.groupRole, canLogin: fx.canSelect, exists: fx.roleExists,
    createByHand: async (user, password) => void (await fx.su(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}' IN ROLE "${fx.group}"`)),
  };
  const a = await deployment(t, target, ['one', 'two']);
  const b = await deployment(t, target, ['one']);
  const markOf = async (user: string) =>
    (await fx.su("SELECT shobj_description(oid, 'pg_authid') AS mark FROM pg_roles WHERE rolname = $1", [user])).rows[0]?.mark as string | null;

  const live = await creds(a, 'one-app');
  const forgotten = await creds(a, 'one-app');
  const otherConfig = await creds(a, 'two-app');
  const otherDeployment = await creds(b, 'one-app');
  t.match(await markOf(forgotten.data.username), /^lessor-owner:[0-9a-f]{32}$/, 'the role carries its owner\'s mark');
  t.equal(await markOf(live.data.username), await markOf(forgotten.data.username), 'one mark per config');
  t.not(await markOf(otherConfig.data.username), await markOf(live.data.username), 'another config has its own');
  t.not(await markOf(otherDeployment.data.username), await markOf(live.data.username), 'another deployment too, same config name');

  // The lease store lost the lease and the ownership record alike.
  await a.rt.leases.store.remove(forgotten.lease_id);
  await a.rt.leases.store.ownedRemove('database|one', forgotten.data.username);
  // Other configs' credentials left without a lease, and a user with a copied mark.
  for (const c of [otherConfig, otherDeployment]) await (c === otherConfig ? a : b).rt.leases.store.remove(c.lease_id);
  const copied = { username: `${fx.tag}-copied-mark`, password: 'copied-mark-pw' };
  await target.createByHand(copied.username, copied.password);
  await fx.su(`COMMENT ON ROLE "${copied.username}" IS '${await markOf(otherDeployment.data.username)}'`);

  const wet = await a.call('POST', 'database/reconcile/one', { body: { dry_run: false } });
  t.same(wet.body.data, { dry_run: false, orphans: [forgotten.data.username], revoked: [forgotten.data.username] }, 'found by its mark alone');
  t.notOk(await fx.roleExists(forgotten.data.username));
  for (const u of [live.data, otherConfig.data, otherDeployment.data, copied]) t.ok(await fx.canSelect(u.username, u.password), `${u.username} untouched`);
});
