// The status and listing paths Vault clients call first: `vault status` (seal-status, leader),
// `vault secrets list` (sys/mounts), `vault auth list` (sys/auth); node-vault's status(),
// mounts() and auths() are the same requests.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import vault from 'node-vault';
import { testRuntime } from '../helpers/test-runtime.js';

// Debian's interpreter, where python3-hvac is installed (a pyenv python3 may come first on PATH).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const pkgVersion = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

t.test('seal-status, leader and init answer without a token, in Vault shape', async (t) => {
  const tr = await testRuntime(t);
  const seal = await tr.call('GET', 'sys/seal-status', { token: null });
  t.equal(seal.status, 200);
  t.match(seal.body, { initialized: true, sealed: false, progress: 0, version: pkgVersion, storage_type: 'postgresql' });
  t.equal(seal.headers['content-type'], 'application/json');
  const leader = await tr.call('GET', 'sys/leader', { token: null });
  t.equal(leader.status, 200);
  t.match(leader.body, { ha_enabled: false, is_self: false, leader_address: '' });
  t.same((await tr.call('GET', 'sys/init', { token: null })).body, { initialized: true }, 'sys/init (vault operator init -status)');

  const dev = await testRuntime(t, { devMode: true });
  t.equal((await dev.call('GET', 'sys/seal-status', { token: null })).body.storage_type, 'pglite', 'dev mode names its embedded store');
});

t.test('sys/mounts and sys/auth list what this install serves, to a token allowed to read them', async (t) => {
  const tr = await testRuntime(t);
  const client = vault({ apiVersion: 'v1', endpoint: await tr.listen(), token: tr.rootToken });
  t.equal((await client.status()).sealed, false, 'node-vault status()');

  const mounts = (await client.mounts()).data;
  t.match(mounts['database/'], { type: 'database', config: { default_lease_ttl: 0, max_lease_ttl: 0 }, local: false });
  t.match(mounts['apikey/'], { type: 'api-key' });
  t.match(mounts['jwt/'], { type: 'jwt-signing' });
  t.match(mounts['sys/'], { type: 'system' });
  t.match(mounts['database/'].accessor, /^database_[0-9a-f]{8}$/);
  t.match(mounts['database/'].uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  const auths = (await client.auths()).data;
  t.same(Object.keys(auths).sort(), ['approle/', 'jwt/', 'token/', 'userpass/']);
  t.match(auths['approle/'], { type: 'approle', accessor: /^auth_approle_[0-9a-f]{8}$/ });

  // Another replica of the same install gives the same accessors (they name mounts in audit logs and policies' tooling).
  const replica = await testRuntime(t, { shareWith: tr });
  t.same((await replica.call('GET', 'sys/mounts')).body.data, mounts, 'replicas agree');

  t.equal((await tr.call('GET', 'sys/mounts', { token: null })).status, 403, 'no token: 403');
  await tr.call('PUT', 'sys/policies/acl/lister', { body: { policy: 'path "sys/mounts" { capabilities = ["read"] }' } });
  const lister = (await tr.call('POST', 'auth/token/create', { body: { policies: ['lister'] } })).body.auth.client_token;
  const plain = (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  t.equal((await tr.call('GET', 'sys/mounts', { token: lister })).status, 200, 'read on sys/mounts: allowed');
  t.equal((await tr.call('GET', 'sys/auth', { token: lister })).status, 403, 'but not sys/auth');
  t.equal((await tr.call('GET', 'sys/mounts', { token: plain })).status, 403, 'the default policy does not list mounts (as in Vault)');
});

t.test('hvac reads the same status and listings', async (t) => {
  const tr = await testRuntime(t);
  const script = fileURLToPath(new URL('./hvac_status.py', import.meta.url));
  const { stdout } = await promisify(execFile)(PYTHON, [script, await tr.listen(), tr.rootToken], { timeout: 60_000 });
  const out = JSON.parse(stdout);
  t.equal(out.is_sealed, false);
  t.equal(out.is_initialized, true);
  t.equal(out.seal_status.version, pkgVersion);
  t.equal(out.leader.ha_enabled, false);
  t.same(out.mounts, ['apikey/', 'database/', 'jwt/', 'sys/']);
  t.same(out.auth, ['approle/', 'jwt/', 'token/', 'userpass/']);
  t.equal(out.authenticated, true);
  t.match(out.database_tune, { default_lease_ttl: 3600, max_lease_ttl: 768 * 3600, force_no_cache: false });
});

t.test('enable, disable and tune of the fixed mounts: the tune reads, every write is a clear 400', async (t) => {
  const tr = await testRuntime(t);
  const root = vault({ apiVersion: 'v1', endpoint: await tr.listen(), token: tr.rootToken });
  const before = (await tr.call('GET', 'sys/mounts')).body.data;
  const refused = async (p: Promise<unknown>) => {
    const err = (await p.then(() => undefined, (e: { response?: { statusCode: number; body: { errors: string[] } } }) => e)) as
      { response: { statusCode: number; body: { errors: string[] } } } | undefined;
    return { status: err?.response.statusCode, message: err?.response.body.errors.join(' ') ?? '' };
  };

  let r = await refused(root.mount({ mount_point: 'database', type: 'database' }));
  t.equal(r.status, 400, '`vault secrets enable database`: a 400, as Vault answers for a path in use');
  t.match(r.message, /already in use at database\//);
  r = await refused(root.mount({ mount_point: 'kv', type: 'kv' }));
  t.equal(r.status, 400, 'a new secrets engine');
  t.match(r.message, /come with its plugins/);
  r = await refused(root.unmount({ mount_point: 'database' }));
  t.equal(r.status, 400, '`vault secrets disable`');
  r = await refused(root.enableAuth({ mount_point: 'approle', type: 'approle' }));
  t.match(r, { status: 400, message: /already in use at approle\// }, '`vault auth enable approle`');
  r = await refused(root.disableAuth({ mount_point: 'userpass' }));
  t.equal(r.status, 400, '`vault auth disable`');
  t.equal((await tr.call('POST', 'sys/mounts/database/tune', { body: { default_lease_ttl: '5m' } })).status, 400, '`vault secrets tune`');
  t.same((await tr.call('GET', 'sys/mounts')).body.data, before, 'and nothing changed');

  const tune = await tr.call('GET', 'sys/auth/token/tune');
  t.equal(tune.status, 200);
  t.match(tune.body.data, { default_lease_ttl: 768 * 3600, max_lease_ttl: 768 * 3600 }, "a token's defaults");
  t.equal((await tr.call('GET', 'sys/mounts/nothing-here/tune')).status, 404, 'no such mount');
  const one = await tr.call('GET', 'sys/mounts/database');
  t.same(one.body.data, before['database/'], 'one mount reads as the listing shows it');
  t.equal((await tr.call('GET', 'sys/mounts/database/nothing')).status, 404);

  const plain = (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  t.equal((await tr.call('POST', 'sys/mounts/kv', { token: plain, body: { type: 'kv' } })).status, 403, 'policy is checked first');
  t.equal((await tr.call('GET', 'sys/mounts/database/tune', { token: plain })).status, 403);
});
