// One contract for every LeaseStore: the Redis store and the in-process store of `lessor dev`
// must behave the same, so what dev mode shows is what production does.
import type { Test } from 'tap';
import type { LeaseIntent, LeaseStore } from '../../src/leases/lease-store.js';

let seq = 0;
export function intent(over: Partial<LeaseIntent> = {}): LeaseIntent {
  seq++;
  const now = over.issueTime ?? 1_000_000;
  return {
    id: `db/creds/app/id${String(seq).padStart(6, '0')}`,
    mount: 'db', plugin: 'fake', config: 'main', roleName: 'app', role: { statements: ['x'] },
    credentialId: `u${seq}`, tokenId: 'tok-child', ancestors: ['tok-parent'],
    issueTime: now, expireTime: now + 60_000, maxExpireTime: now + 600_000, ttl: 60,
    ...over,
  };
}

export function leaseStoreContract(t: Test, make: (t: Test) => Promise<LeaseStore>) {
  const now = 1_000_000;

  t.test('intent first: a pending lease is stored with its revocation data, then turns active', async (t) => {
    const s = await make(t);
    const l = intent({ role: { revocation: ['DROP ROLE {{name}}'] } });
    await s.create(l, 'pending', now);
    let r = await s.get(l.id);
    t.equal(r?.state, 'pending');
    t.same(r?.role, { revocation: ['DROP ROLE {{name}}'] });
    t.equal(r?.credentialId, l.credentialId);
    t.ok(await s.activate(l.id, 'sealed:abc'));
    r = await s.get(l.id);
    t.equal(r?.state, 'active');
    t.equal(r?.internal, 'sealed:abc');
    t.equal(r?.revoking, false);
    t.notOk(await s.activate(l.id, 'again'), 'activating twice is refused');

    // Its revocation asked for while pending (a token cascade, a revoke-prefix): the issuer must
    // revoke what it created, so it is not activated, and its internal data is kept for that.
    const m = intent();
    await s.create(m, 'pending', now);
    t.ok(await s.markRevoking(m.id, now, now));
    t.notOk(await s.activate(m.id, 'sealed:def'), 'a lease being revoked is not activated');
    t.match(await s.get(m.id), { state: 'pending', revoking: true, internal: 'sealed:def' });
    await t.rejects(s.create(l, 'pending', now), 'an id is never reused');
    t.equal(await s.get('db/creds/app/none'), undefined);
  });

  t.test('a pending lease whose issue never finished is due at its expiry like any other', async (t) => {
    const s = await make(t);
    const l = intent();
    await s.create(l, 'pending', now);
    t.same(await s.claimDue(l.expireTime - 1, l.expireTime + 100, 10), []);
    t.same(await s.claimDue(l.expireTime, l.expireTime + 100, 10), [l.id]);
  });

  t.test('claims are exclusive until the claim deadline passes', async (t) => {
    const s = await make(t);
    const ls = [intent(), intent(), intent()];
    for (const l of ls) await s.create(l, 'active', now);
    const at = now + 60_000;
    const a = await s.claimDue(at, at + 5000, 2);
    const b = await s.claimDue(at, at + 5000, 2);
    t.equal(a.length, 2);
    t.equal(b.length, 1);
    t.same(new Set([...a, ...b]), new Set(ls.map((l) => l.id)), 'each lease claimed by exactly one');
    t.same(await s.claimDue(at + 4999, at + 9000, 10), [], 'nothing while claims hold');
    t.equal((await s.claimDue(at + 5000, at + 9000, 10)).length, 3, 'claims of a dead reaper come back');
    t.equal(await s.oldestDue(), at + 9000);
  });

  // A renewal: begin (hold the lease), then commit the new expiry.
  const renew = async (s: LeaseStore, id: string, at: number, newExpire: number) => {
    const begun = await s.renewBegin(id, at, at + 5000, `tok-${at}`);
    return begun === 'ok' ? s.renewCommit(id, `tok-${at}`, at, newExpire) : begun;
  };

  t.test('renew moves the expiry; expired, revoking and unknown leases are refused', async (t) => {
    const s = await make(t);
    const l = intent();
    await s.create(l, 'pending', now);
    t.equal(await renew(s, l.id, now + 1, now + 90_000), 'not_active', 'pending cannot be renewed');
    await s.activate(l.id, undefined);
    t.equal(await renew(s, l.id, now + 1000, now + 90_000), 'ok');
    const r = await s.get(l.id);
    t.equal(r?.expireTime, now + 90_000);
    t.equal(r?.lastRenewal, now + 1000);
    t.same(await s.claimDue(now + 60_000, now + 70_000, 10), [], 'no longer due at the old expiry');
    t.equal(await renew(s, l.id, now + 90_000, now + 100_000), 'expired');
    t.equal(await renew(s, 'db/creds/app/none', now, now + 1), 'not_found');
    const m = intent();
    await s.create(m, 'active', now);
    await s.markRevoking(m.id, now, now);
    t.equal(await renew(s, m.id, now + 1, now + 2), 'revoking');
    t.equal((await s.get(m.id))?.revoking, true);
  });

  t.test('one owner at a time: a reaper that took a lease wins over a renewal, a renewal that holds one over a reaper', async (t) => {
    const s = await make(t);
    // Reaper first: an expired lease it takes is marked revoking; a renewal then changes nothing.
    const a = intent();
    await s.create(a, 'active', now);
    t.same(await s.claimDue(a.expireTime, a.expireTime + 9000, 10), [a.id]);
    t.equal(await s.take(a.id, a.expireTime), 'taken');
    t.equal(await s.renewBegin(a.id, a.expireTime - 1, a.expireTime + 5000, 'late'), 'revoking', 'even by a clock that lags');
    t.match(await s.get(a.id), { revoking: true, expireTime: a.expireTime });

    // Renewal first: the reaper gives the lease back until the hold ends; the commit sets the expiry.
    const b = intent();
    await s.create(b, 'active', now);
    t.equal(await s.renewBegin(b.id, b.expireTime - 1, b.expireTime + 5000, 'r1'), 'ok');
    t.equal(await s.renewBegin(b.id, b.expireTime - 1, b.expireTime + 5000, 'r2'), 'busy', 'one renewal at a time');
    t.same(await s.claimDue(b.expireTime, b.expireTime + 9000, 10), [b.id]);
    t.equal(await s.take(b.id, b.expireTime), 'held');
    t.same(await s.claimDue(b.expireTime + 4999, b.expireTime + 9000, 10), [], 'not due while the hold lasts');
    t.equal(await s.renewCommit(b.id, 'r1', b.expireTime - 1, b.expireTime + 60_000), 'ok');
    t.match(await s.get(b.id), { revoking: false, expireTime: b.expireTime + 60_000 });
    t.notOk((await s.claimDue(b.expireTime + 59_999, b.expireTime + 90_000, 10)).includes(b.id), 'due at the renewed expiry');

    // A renewal that failed lets go: an expired lease is due again at once, and then taken.
    const c = intent();
    await s.create(c, 'active', now);
    t.equal(await s.renewBegin(c.id, c.expireTime - 1, c.expireTime + 5000, 'r3'), 'ok');
    t.same(await s.claimDue(c.expireTime, c.expireTime + 9000, 10), [c.id]);
    t.equal(await s.take(c.id, c.expireTime), 'held');
    await s.renewAbort(c.id, 'r3', c.expireTime + 5000);
    t.same(await s.claimDue(c.expireTime + 1, c.expireTime + 9000, 10), [c.id], 'due at its own expiry again');
    t.equal(await s.take(c.id, c.expireTime + 1), 'taken');

    // A renewal that died: its hold lapses and the reaper takes the lease.
    const d = intent();
    await s.create(d, 'active', now);
    t.equal(await s.renewBegin(d.id, d.expireTime - 1, d.expireTime + 5000, 'dead'), 'ok');
    t.equal(await s.take(d.id, d.expireTime + 5000), 'taken');
    t.equal(await s.renewCommit(d.id, 'dead', d.expireTime + 6000, d.expireTime + 60_000), 'revoking', 'a lapsed hold the reaper took over cannot commit');
    t.match(await s.get(d.id), { revoking: true, expireTime: d.expireTime });

    // A revocation asked for while a renewal holds the lease wins at commit.
    const e = intent();
    await s.create(e, 'active', now);
    t.equal(await s.renewBegin(e.id, now, now + 5000, 'r4'), 'ok');
    t.ok(await s.markRevoking(e.id, now, now));
    t.equal(await s.renewCommit(e.id, 'r4', now, now + 90_000), 'revoking');
    t.match(await s.get(e.id), { revoking: true, expireTime: e.expireTime });
    t.equal(await s.take('db/creds/app/none', now), 'gone');
  });

  t.test('markRevoking makes a lease due now; remove forgets it everywhere', async (t) => {
    const s = await make(t);
    const l = intent();
    await s.create(l, 'active', now);
    t.ok(await s.markRevoking(l.id, now, now));
    t.same(await s.claimDue(now, now + 100, 10), [l.id]);
    t.ok(await s.remove(l.id));
    t.notOk(await s.remove(l.id), 'a second remove reports it was gone');
    t.equal(await s.get(l.id), undefined);
    t.same(await s.listPrefix('db/'), []);
    t.same(await s.claimDue(now + 1e9, now + 2e9, 10), []);
    t.notOk(await s.markRevoking('db/creds/app/none', now, now));
    t.same(await s.counts(), {});
  });

  t.test('failures back off, then the lease turns irrevocable and is listed', async (t) => {
    const s = await make(t);
    const l = intent();
    await s.create(l, 'active', now);
    let f = await s.fail(l.id, now, now + 1000, 3, 'boom 1', 'attempt');
    t.same(f, { attempts: 1, irrevocable: false, gone: false });
    t.same(await s.claimDue(now + 999, now + 2000, 10), []);
    t.same(await s.claimDue(now + 1000, now + 2000, 10), [l.id]);
    t.same(await s.fail(l.id, now, now + 1000, 3, 'retried by hand', 'extra'), { attempts: 1, irrevocable: false, gone: false }, 'an extra try spends no attempt');
    f = await s.fail(l.id, now, now + 1000, 3, 'boom 2', 'attempt');
    f = await s.fail(l.id, now + 5, now + 1000, 3, 'boom 3', 'attempt');
    t.same(f, { attempts: 3, irrevocable: true, gone: false });
    const r = await s.get(l.id);
    t.equal(r?.state, 'irrevocable');
    t.equal(r?.lastError, 'boom 3');
    t.same(await s.listIrrevocable(), [l.id]);
    t.equal(await s.irrevocableCount(), 1);
    t.same(await s.claimDue(now + 1e9, now + 2e9, 10), [], 'an irrevocable lease is not retried');
    t.equal(await s.revokePrefix('db/', now), 0, 'revoke-prefix leaves irrevocable leases to revoke-force');
    t.ok(await s.markRevoking(l.id, now, now), 'an explicit revoke gives it a fresh round');
    t.equal((await s.get(l.id))?.attempts, 0);
    t.same(await s.listIrrevocable(), []);
    const g = intent();
    await s.create(g, 'active', now);
    f = await s.fail(g.id, now, now + 1, 18, 'unrecoverable', 'final');
    t.equal(f.irrevocable, true, 'unrecoverable errors skip the retries');
    t.same(await s.fail('db/creds/app/none', now, now, 3, 'x', 'attempt'), { attempts: 0, irrevocable: false, gone: true });
  });

  t.test('prefix listing and revoke-prefix', async (t) => {
    const s = await make(t);
    const app = [intent({ id: 'db/creds/app/a1' }), intent({ id: 'db/creds/app/a2' })];
    const other = intent({ id: 'db/creds/application/b1', roleName: 'application' });
    const elsewhere = intent({ id: 'kv/creds/app/c1', mount: 'kv' });
    for (const l of [...app, other, elsewhere]) await s.create(l, 'active', now);
    t.same(await s.listPrefix('db/creds/app/'), ['db/creds/app/a1', 'db/creds/app/a2']);
    t.same(await s.listPrefix('db/creds/app'), ['db/creds/app/a1', 'db/creds/app/a2', 'db/creds/application/b1']);
    t.same(await s.listPrefix('db/', 2), ['db/creds/app/a1', 'db/creds/app/a2']);
    t.equal(await s.revokePrefix('db/creds/app/', now + 5), 2);
    t.equal(await s.revokePrefix('db/creds/app/', now + 6), 0, 'already revoking: counted once');
    t.same((await s.claimDue(now + 5, now + 100, 10)).sort(), ['db/creds/app/a1', 'db/creds/app/a2']);
    t.same(await s.counts(), { 'db|app': 2, 'db|application': 1, 'kv|app': 1 });
  });

  t.test('token index: a lease is found from its token and every ancestor', async (t) => {
    const s = await make(t);
    const a = intent({ tokenId: 'child', ancestors: ['parent', 'root'] });
    const b = intent({ tokenId: 'parent', ancestors: ['root'] });
    const c = intent({ tokenId: 'stranger', ancestors: [] });
    for (const l of [a, b, c]) await s.create(l, 'active', now);
    t.same((await s.byTokens(['parent'])).sort(), [a.id, b.id].sort());
    t.same(await s.byTokens(['child']), [a.id]);
    t.same((await s.byTokens(['root', 'stranger'])).sort(), [a.id, b.id, c.id].sort());
    t.same(await s.byTokens([]), []);

    // revoke-orphan of "parent": child's subtree leaves the indexes of parent and root.
    await s.unindex(['child'], ['parent', 'root']);
    t.same(await s.byTokens(['parent']), [b.id], "the orphan's lease left its former parent's index");
    t.same((await s.byTokens(['root', 'stranger'])).sort(), [b.id, c.id].sort(), 'and its former grandparent\'s');
    t.same(await s.byTokens(['child']), [a.id], 'its own index keeps it');
  });

  t.test('getMany keeps order and reports missing leases', async (t) => {
    const s = await make(t);
    const a = intent();
    await s.create(a, 'active', now);
    const r = await s.getMany(['db/creds/app/none', a.id]);
    t.equal(r[0], undefined);
    t.equal(r[1]?.id, a.id);
  });

  t.test('jobs run once: claims are exclusive and a reschedule during a run survives', async (t) => {
    const s = await make(t);
    await s.scheduleJob('db|fake|rotate:x', now);
    await s.scheduleJob('db|fake|later', now + 1e6);
    t.same(await s.claimJobs(now, now + 100, 10), ['db|fake|rotate:x']);
    t.same(await s.claimJobs(now, now + 100, 10), [], 'claimed: nobody else gets it');
    await s.jobDone('db|fake|rotate:x', now + 100);
    t.same(await s.claimJobs(now + 1000, now + 2000, 10), [], 'done: gone');
    await s.scheduleJob('db|fake|rotate:y', now);
    t.same(await s.claimJobs(now, now + 100, 10), ['db|fake|rotate:y']);
    await s.scheduleJob('db|fake|rotate:y', now + 500);
    await s.jobDone('db|fake|rotate:y', now + 100);
    t.same(await s.claimJobs(now + 500, now + 600, 10), ['db|fake|rotate:y'], 'rescheduled while running: kept');
    await s.jobDone('db|fake|rotate:y', now + 600);
    await s.unscheduleJob('db|fake|later');
    t.same(await s.claimJobs(now + 2e6, now + 3e6, 10), []);
  });

  t.test('engine state is JSON per mount', async (t) => {
    const s = await make(t);
    await s.stateSet('db', 'k', { a: 1 });
    await s.stateSet('kv', 'k', 'other mount');
    t.same(await s.stateGet('db', 'k'), { a: 1 });
    t.same(await s.stateGet('kv', 'k'), 'other mount');
    await s.stateDel('db', 'k');
    t.equal(await s.stateGet('db', 'k'), undefined);
  });

  t.test('engine state update: top-level fields of an existing object, atomically, nothing else touched', async (t) => {
    const s = await make(t);
    t.equal(await s.stateUpdate('api', 'missing', { exp: 1 }), false, 'no entry: nothing created');
    t.equal(await s.stateGet('api', 'missing'), undefined);
    const tricky = {
      digest: 'a"b\\c}{][,:',
      'exp\"': 'not the field',
      nested: { exp: 1, list: [{ exp: 2 }, '"exp":3'] },
      empty: [],
      none: {},
      big: 1712345678901234,
      exp: 1712345678901,
      flag: true,
      nothing: null,
      text: 'exp',
    };
    await s.stateSet('api', 'k', tricky);
    t.equal(await s.stateUpdate('api', 'k', { exp: 1799999999999 }), true);
    t.same(await s.stateGet('api', 'k'), { ...tricky, exp: 1799999999999 }, 'only the top-level field moved; arrays, numbers, strings intact');
    t.equal(await s.stateUpdate('api', 'k', { added: ['x'], exp: 5, text: { a: [] } }), true, 'several fields, one new');
    t.same(await s.stateGet('api', 'k'), { ...tricky, exp: 5, text: { a: [] }, added: ['x'] });
    await s.stateSet('api', 'e', {});
    t.equal(await s.stateUpdate('api', 'e', { a: 1 }), true);
    t.same(await s.stateGet('api', 'e'), { a: 1 }, 'a field added to an empty object');
    await s.stateSet('api', 'str', 'a string');
    await t.rejects(s.stateUpdate('api', 'str', { a: 1 }), 'not an object: refused');
    t.equal(await s.stateGet('api', 'str'), 'a string', 'and left alone');
  });
}
