// Intent first under a race: the token is revoked (and its pending lease reaped) while the
// engine is still creating the credential. The credential that appears afterwards must not
// escape: it is revoked at once and the caller is told.
import t from 'tap';
import pg from 'pg';
import { fakeSetup, until } from './fake-setup.js';

t.test('a lease revoked while being issued leaves no credential behind', async (t) => {
  const f = await fakeSetup(t);
  await f.role('slow', { issue_wait_release: true });
  const made = await f.tr.call('POST', 'auth/token/create', { body: { policies: ['root'] } });
  const token = made.body.auth.client_token as string;

  const pending = f.tr.call('GET', 'fake/creds/slow', { token });
  t.ok(await until(async () => (await f.tr.rt.leases.store.listPrefix('fake/creds/slow/')).length === 1, 5000, 10), 'the pending lease exists before the credential');
  const [id] = await f.tr.rt.leases.store.listPrefix('fake/creds/slow/');
  t.equal((await f.tr.rt.leases.store.get(id))?.state, 'pending');
  t.equal((await f.tr.call('POST', 'auth/token/revoke-self', { token })).status, 204);
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.tr.rt.leases.store.get(id), undefined, 'the reaper revoked the pending lease (nothing to delete yet)');

  const db = new pg.Client({ connectionString: f.targetUrl });
  await db.connect();
  t.teardown(() => db.end());
  await db.query("INSERT INTO fake_events (kind, credential_id) VALUES ('release', '*')");
  const r = await pending;
  t.equal(r.status, 409, 'the caller learns its lease was revoked meanwhile');
  t.match(r.body.errors[0], /revoked while it was being issued/);
  const { rows } = await db.query<{ kind: string }>("SELECT kind FROM fake_events WHERE kind <> 'release' ORDER BY id");
  t.same(rows.map((x) => x.kind), ['revoke', 'issue', 'revoke'], 'the credential created after the reap was revoked too');
  t.same(await f.tr.rt.leases.store.listPrefix('fake/'), [], 'and no lease is left');
});
