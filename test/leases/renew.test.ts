// Vault's renewal arithmetic: the increment counts from now, the cap is the role's max TTL from
// issue time; a capped answer says so and turns renewable off; expired or revoked leases refuse.
import t from 'tap';
import { fakeSetup } from './fake-setup.js';

t.test('renew extends from now, is capped by max TTL from issue time, and says so', async (t) => {
  let now = Date.now();
  const f = await fakeSetup(t, { clock: () => now });
  await f.role('short', { default_ttl: '1m', max_ttl: '10m' });
  const issued = await f.tr.call('GET', 'fake/creds/short');
  t.equal(issued.body.lease_duration, 60);
  t.equal(issued.body.renewable, true);
  const id = issued.body.lease_id;

  now += 30_000;
  let r = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: id, increment: 120 } });
  t.equal(r.status, 200);
  t.equal(r.body.lease_id, id);
  t.equal(r.body.lease_duration, 120, 'the increment counts from now, not from the old expiry');
  t.equal(r.body.renewable, true);
  t.equal(r.body.warnings, null);
  let look = await f.tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: id } });
  t.equal(look.body.data.ttl, 120);
  t.equal(look.body.data.last_renewal, new Date(now).toISOString());
  t.equal(await f.count('renew'), 1, 'the engine was told the new expiry');

  r = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: id } });
  t.equal(r.body.lease_duration, 60, 'no increment: the TTL granted at issue');

  now += 50_000; // 80 s after issue (expiry was at 90 s): 520 s left before the 10 min cap
  r = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: id, increment: '1h' } });
  t.equal(r.status, 200);
  t.equal(r.body.lease_duration, 520, 'capped at max_ttl counted from issue time');
  t.equal(r.body.renewable, false, 'clients stop renewing once the cap is reached');
  t.match(r.body.warnings[0], /exceeded the effective max_ttl of "600s"/);
  look = await f.tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: id } });
  t.equal(look.body.data.renewable, false);
  t.equal(Date.parse(look.body.data.expire_time) - Date.parse(look.body.data.issue_time), 600_000, 'expiry sits at the cap');

  now += 520_000; // the lease has expired
  r = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: id, increment: 10 } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /has expired/);
});

t.test('a revoked or unknown lease cannot be renewed; bad input changes nothing', async (t) => {
  const f = await fakeSetup(t);
  const issued = await f.tr.call('GET', 'fake/creds/app');
  const id = issued.body.lease_id;
  let r = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: id, increment: 'soon' } });
  t.equal(r.status, 400, 'a malformed increment is refused');
  r = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: id, colour: 'red' } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /unknown field "colour"/);
  t.equal(await f.count('renew'), 0);
  t.equal((await f.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: id } })).status, 204);
  r = await f.tr.call('PUT', 'sys/leases/renew', { body: { lease_id: id } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /lease not found.*expired or was revoked/);
  r = await f.tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: id } });
  t.equal(r.status, 400);
  t.match(r.body.errors[0], /invalid lease/);
  t.equal((await f.tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: id } })).status, 204, 'revoking twice is fine');
  t.equal(await f.count('revoke'), 1);
});
