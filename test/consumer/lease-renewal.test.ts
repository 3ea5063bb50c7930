// Lease against a fake lessor with ttl 2s / max ttl 5s: renews at two thirds, then rotates when
// a renewal comes back capped; adopts a live lease instead of issuing a second one.
import t from 'tap';
import { LessorClient, type Credential } from '../../src/client/index.js';
import { waitUntil } from '../helpers/proc.js';
import { fakeLessor } from './fake-lessor.js';

t.test('renews, then rotates before the max TTL', async (t) => {
  const f = await fakeLessor(t, { ttl: 2, maxTtl: 5 });
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId } });
  const lease = c.lease<{ username: string }>('database/creds/app');
  t.teardown(() => { lease.stop(); c.close(); });
  const renewed: Credential[] = [];
  const expiring: Credential[] = [];
  const rotations: Array<{ previous: Credential; current: Credential; reason: string }> = [];
  lease.on('renewed', (cred) => renewed.push({ ...cred }));
  lease.on('expiring', (cred) => expiring.push(cred));
  lease.on('rotated', (r) => rotations.push(r));
  const first = await lease.start();
  t.match(first.data?.username, /^v-app-1$/);
  await waitUntil('first rotation', 10_000, async () => rotations.length >= 1);
  t.ok(renewed.length >= 2, `renewed ${renewed.length} times first`);
  t.equal(rotations[0].previous.leaseId, first.leaseId);
  t.equal(rotations[0].reason, 'max ttl');
  t.equal(rotations[0].current.data?.username, 'v-app-2');
  t.equal(expiring[0].leaseId, first.leaseId, 'expiring came first');
  t.ok(f.leases.get(first.leaseId)!.expiresAt > Date.now(), 'rotated while the old lease was still valid');
  t.equal(f.leases.get(first.leaseId)!.revoked, false, 'the lease does not revoke: its owner does');
});

t.test('adopts a live lease; a dead one gets replaced', async (t) => {
  const f = await fakeLessor(t, { ttl: 3, maxTtl: 30 });
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId } });
  t.teardown(() => c.close());
  const issued = await c.read('database/creds/app');
  const adopted = c.lease('database/creds/app', { adopt: { leaseId: issued.lease_id, leaseDuration: 3 } });
  const cred = await adopted.start();
  adopted.stop();
  t.equal(cred.leaseId, issued.lease_id);
  t.equal(cred.adopted, true);
  t.equal(cred.data, undefined, 'lookup never returns the secret');
  t.equal(f.leases.size, 1, 'no second credentials issued');

  await c.revoke(issued.lease_id);
  const replaced = c.lease('database/creds/app', { adopt: { leaseId: issued.lease_id } });
  const fresh = await replaced.start();
  replaced.stop();
  t.not(fresh.leaseId, issued.lease_id);
  t.equal(fresh.adopted, false);
  t.equal(f.leases.size, 2);
});

t.test('forced rotation is shared by concurrent callers', async (t) => {
  const f = await fakeLessor(t, { ttl: 30, maxTtl: 60 });
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId } });
  const lease = c.lease('database/creds/app');
  t.teardown(() => { lease.stop(); c.close(); });
  await lease.start();
  const [a, b] = await Promise.all([lease.rotate(), lease.rotate()]);
  t.equal(a.leaseId, b.leaseId);
  t.equal(f.leases.size, 2);
});

t.test('a new login (token at its max TTL) replaces credentials issued under the old token', async (t) => {
  const f = await fakeLessor(t, { ttl: 30, maxTtl: 60, tokenTtl: 1, tokenMaxTtl: 2 });
  const c = new LessorClient({ address: f.url, approle: { roleId: f.roleId, secretId: f.secretId } });
  const lease = c.lease('database/creds/app');
  t.teardown(() => { lease.stop(); c.close(); });
  const reasons: string[] = [];
  lease.on('rotated', (r) => reasons.push(r.reason));
  const first = await lease.start();
  await waitUntil('rotation after the second login', 5000, async () => reasons.length >= 1);
  t.equal(f.logins, 2);
  t.same(reasons, ['token replaced']);
  t.not(lease.current?.leaseId, first.leaseId);
});
