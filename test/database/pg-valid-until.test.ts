// VALID UNTIL never ends a PostgreSQL credential before its lease: a lease expiry that falls
// inside a second is written as the next whole second, at issue and at every renewal.
import t from 'tap';
import { pgHttp } from './http-setup.js';

t.test('VALID UNTIL is at or after the lease expiry, within one second', async (t) => {
  const { tr, fx, creds, clock } = await pgHttp(t);
  // An expiry half-way through a second: cutting it down would end the user 500 ms early.
  clock.advance(1500 - (clock.now() % 1000));
  const c = await creds('reader');
  const validUntil = async () =>
    new Date((await fx.su('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [c.data.username])).rows[0].rolvaliduntil).getTime();
  const expireTime = async () => Date.parse((await tr.call('PUT', 'sys/leases/lookup', { body: { lease_id: c.lease_id } })).body.data.expire_time);

  let lease = await expireTime();
  t.equal(lease % 1000, 500, 'the lease ends half-way through a second');
  let valid = await validUntil();
  t.ok(valid >= lease, `issued: the user stays valid until the lease ends (VALID UNTIL ${new Date(valid).toISOString()}, lease ${new Date(lease).toISOString()})`);
  t.ok(valid - lease < 1000, 'and not a whole second longer');

  clock.advance(250);
  const renew = await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: c.lease_id, increment: 600 } });
  t.equal(renew.status, 200);
  lease = await expireTime();
  t.equal(lease % 1000, 750);
  valid = await validUntil();
  t.ok(valid >= lease, `renewed: the user stays valid until the lease ends (VALID UNTIL ${new Date(valid).toISOString()}, lease ${new Date(lease).toISOString()})`);
  t.ok(valid - lease < 1000, 'and not a whole second longer');
});
