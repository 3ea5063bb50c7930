// Lease lookup, renew, list and revoke through real Vault clients, unchanged: node-vault (npm)
// and hvac (Python, Debian's python3-hvac), against a listening lessor.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import vault from 'node-vault';
import { fakeSetup } from './fake-setup.js';

const run = promisify(execFile);
// Debian's interpreter, where python3-hvac is installed (a pyenv python3 may come first on PATH).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

t.test('node-vault', async (t) => {
  const f = await fakeSetup(t);
  const base = await f.tr.listen();
  const client = vault({ apiVersion: 'v1', endpoint: base, token: f.tr.rootToken });

  const cred = await client.read('fake/creds/app');
  t.match(cred.lease_id, /^fake\/creds\/app\/[A-Za-z0-9]{24}$/, "Vault's lease id form");
  t.equal(cred.lease_duration, 60);
  t.equal(cred.renewable, true);
  t.ok(cred.data.username && cred.data.password);

  const look = await client.write('sys/leases/lookup', { lease_id: cred.lease_id });
  t.equal(look.data.id, cred.lease_id);
  t.equal(look.data.ttl, 60);
  t.match(look.data, { issue_time: String, expire_time: String, last_renewal: null, renewable: true });

  const renewed = await client.renew({ lease_id: cred.lease_id, increment: 120 });
  t.equal(renewed.lease_id, cred.lease_id);
  t.equal(renewed.lease_duration, 120);
  const legacy = await client.write('sys/renew', { lease_id: cred.lease_id, increment: 100 });
  t.equal(legacy.lease_duration, 100, 'legacy sys/renew');
  const inPath = await client.write(`sys/leases/renew/${cred.lease_id}`, { increment: 90 });
  t.equal(inPath.lease_duration, 90, 'lease id in the path');

  const other = await client.read('fake/creds/app');
  const list = await client.list('sys/leases/lookup/fake/creds/app/');
  t.same([...list.data.keys].sort(), [cred.lease_id, other.lease_id].map((id: string) => id.split('/').pop()).sort());
  const top = await client.list('sys/leases/lookup/fake/');
  t.same(top.data.keys, ['creds/'], 'a list shows the next path segment, as Vault does');

  await client.revoke({ lease_id: cred.lease_id });
  t.equal(await f.count('revoke', cred.data.username), 1, 'revoked (204 accepted by node-vault)');
  const gone = await client.write('sys/leases/lookup', { lease_id: cred.lease_id }).catch((err: { response?: { statusCode?: number } }) => err);
  t.equal(gone?.response?.statusCode, 400, 'looking up a revoked lease is a 400');
  await client.write(`sys/revoke/${other.lease_id}`, {});
  t.equal(await f.count('revoke', other.data.username), 1, 'legacy sys/revoke/:lease_id');

  const third = await client.read('fake/creds/app');
  await client.revokePrefix({ path_prefix: 'fake/creds/app' });
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.count('revoke', third.data.username), 1, 'legacy sys/revoke-prefix, drained by the reaper');
});

t.test('hvac', async (t) => {
  const f = await fakeSetup(t);
  const base = await f.tr.listen();
  const script = fileURLToPath(new URL('./hvac_leases.py', import.meta.url));
  const { stdout } = await run(PYTHON, [script, base, f.tr.rootToken], { timeout: 60_000 });
  const out = JSON.parse(stdout);
  t.equal(out.issued.lease_duration, 60);
  t.equal(out.lookup.id, out.issued.lease_id);
  t.equal(out.lookup.ttl, 60);
  t.same(out.renew, { lease_id: out.issued.lease_id, lease_duration: 90, renewable: true });
  t.equal(out.renew_default, 60, 'increment null: the TTL granted at issue');
  t.same(out.list, [out.issued.lease_id.split('/').pop()]);
  t.equal(out.revoke_status, 204);
  t.match(out.lookup_after_revoke, /invalid lease/);
  t.equal(out.revoke_prefix_status, 204);
  t.equal(await f.count('revoke', out.issued.username), 1);
  await f.tr.rt.reaper.runOnce();
  t.equal(await f.count('revoke'), 2, 'revoke_prefix queued the second lease and the reaper revoked it');
  t.equal(await f.tr.rt.leases.store.get(out.second), undefined);
});

t.test("a token with only Vault's default policy on the lease paths renews by either path, as in Vault", async (t) => {
  const f = await fakeSetup(t);
  await f.tr.call('PUT', 'sys/policies/acl/app', { body: { policy: 'path "fake/creds/app" { capabilities = ["read"] }' } });
  const token = (await f.tr.call('POST', 'auth/token/create', { body: { policies: ['app'] } })).body.auth.client_token;
  const cred = await f.tr.call('GET', 'fake/creds/app', { token });
  t.equal(cred.status, 200);
  const legacy = await f.tr.call('PUT', 'sys/renew', { token, body: { lease_id: cred.body.lease_id, increment: 100 } });
  t.equal(legacy.status, 200, `legacy sys/renew ${JSON.stringify(legacy.body)}`);
  t.equal(legacy.body.lease_duration, 100);
  t.equal((await f.tr.call('PUT', 'sys/leases/renew', { token, body: { lease_id: cred.body.lease_id, increment: 90 } })).status, 200);
  t.equal((await f.tr.call('PUT', 'sys/leases/lookup', { token, body: { lease_id: cred.body.lease_id } })).status, 200);
  t.equal((await f.tr.call('PUT', 'sys/revoke', { token, body: { lease_id: cred.body.lease_id } })).status, 403, 'revoking is not in the default policy');
});
