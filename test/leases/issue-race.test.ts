// Intent first under a race: the token is revoked (and its pending lease reaped) while the
// engine is still creating the credential. The credential that appears afterwards must not
// escape: it is revoked at once and the caller is told.
import t, { type Test } from 'tap';
import pg from 'pg';
import { identityOf } from '../../src/auth/access-control.js';
import { hashToken } from '../../src/auth/tokens.js';
import { fakeSetup, until } from './fake-setup.js';

/**
 * A creds request whose credential is held until `release()`: its pending lease is stored, the
 * engine waits. Returns the request's answer-to-be and the events the engine recorded.
 */
async function slowIssue(t: Test) {
  const f = await fakeSetup(t);
  await f.role('slow', { issue_wait_release: true });
  const made = await f.tr.call('POST', 'auth/token/create', { body: { policies: ['root'] } });
  const token = made.body.auth.client_token as string;
  const pending = f.tr.call('GET', 'fake/creds/slow', { token });
  t.ok(await until(async () => (await f.tr.rt.leases.store.listPrefix('fake/creds/slow/')).length === 1, 5000, 10), 'the pending lease exists before the credential');
  const [id] = await f.tr.rt.leases.store.listPrefix('fake/creds/slow/');
  const db = new pg.Client({ connectionString: f.targetUrl });
  await db.connect();
  t.teardown(() => db.end());
  return {
    f, token, id, pending,
    release: () => db.query("INSERT INTO fake_events (kind, credential_id) VALUES ('release', '*')"),
    events: async () => (await db.query<{ kind: string }>("SELECT kind FROM fake_events WHERE kind <> 'release' ORDER BY id")).rows.map((x) => x.kind),
  };
}

t.test('a lease revoked while being issued leaves no credential behind', async (t) => {
  const { f, token, id, pending, release, events } = await slowIssue(t);
  t.equal((await f.tr.rt.leases.store.get(id))?.state, 'pending');
  t.equal((await f.tr.call('POST', 'auth/token/revoke-self', { token })).status, 204);
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.tr.rt.leases.store.get(id), undefined, 'the reaper revoked the pending lease (nothing to delete yet)');

  await release();
  const r = await pending;
  t.equal(r.status, 409, 'the caller learns its lease was revoked meanwhile');
  t.match(r.body.errors[0], /revoked while it was being issued/);
  t.same(await events(), ['revoke', 'issue', 'revoke'], 'the credential created after the reap was revoked too');
  t.same(await f.tr.rt.leases.store.listPrefix('fake/'), [], 'and no lease is left');
});

t.test('a lease whose revocation is asked for while being issued is revoked by its issuer, not handed out', async (t) => {
  const { f, token, pending, release, events } = await slowIssue(t);
  // The cascade marks it for revocation; no reaper has run yet (or one ran its revocation
  // before the credential existed and has not removed the record): either way the credential
  // about to appear is the issuer's to revoke.
  t.equal((await f.tr.call('POST', 'auth/token/revoke-self', { token })).status, 204);
  await release();
  const r = await pending;
  t.equal(r.status, 409, 'the caller is not handed credentials that are being revoked');
  t.same(await events(), ['issue', 'revoke'], 'the issuer revoked the credential it made');
  t.same(await f.tr.rt.leases.store.listPrefix('fake/'), [], 'and no lease is left');
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.count('revoke'), 1, 'the reaper finds nothing more to do');
});

t.test('a token revoked before its lease was indexed: the issuer revokes the credential it made', async (t) => {
  const f = await fakeSetup(t);
  const made = (await f.tr.call('POST', 'auth/token/create', { body: { policies: ['root'] } })).body.auth;
  const identity = identityOf((await f.tr.rt.tokens.lookup(hashToken(made.client_token)))!);
  // The request authenticated; then the token's revocation and its cascade run to the end
  // (finding no lease of this request yet), and only then does the request store its lease.
  t.equal((await f.tr.call('POST', 'auth/token/revoke-self', { token: made.client_token })).status, 204);
  let created = 0;
  const issuing = f.tr.rt.leases.issue({
    identity, mount: 'fake', credsPath: 'creds', plugin: 'fake', config: 'main', roleName: 'app',
    role: { db_name: 'main', default_ttl: 60, max_ttl: 600 },
    credentialId: (leaseId) => `fake_${leaseId.split('/').pop()!.toLowerCase()}`,
    create: async (r) => {
      created++;
      return { data: { username: r.credentialId } };
    },
  });
  await t.rejects(issuing, { message: /revoked while it was being issued/ }, 'the caller is told');
  t.equal(created, 1);
  t.equal(await f.count('revoke'), 1, 'the credential it made was revoked by the issuer, not left to outlive its token');
  t.same(await f.tr.rt.leases.store.listPrefix('fake/'), [], 'and no lease is left');
});
