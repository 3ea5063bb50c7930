// Done when: `--once` exits 0 with a working env file, and non-zero with a clear line when lessor
// is down. Also: a sidecar started after the init container's --once adopts that lease instead of
// issuing a second one (Vault Agent's double issue at pod start). Real lessor and PostgreSQL.
import t from 'tap';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from '../helpers/proc.js';
import { e2e } from './e2e-setup.js';
import { lessorCli, parseEnvFile } from './processes.js';

t.test('--once writes a working env file and exits 0; a later sidecar adopts the lease', async (t) => {
  const env = await e2e(t, { defaultTtl: 60, maxTtl: 600 });
  const dir = await mkdtemp(join(tmpdir(), 'lessor-once-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { roleId, secretId } = await env.approle();
  await writeFile(join(dir, 'role-id'), roleId);
  await writeFile(join(dir, 'secret-id'), secretId);
  const file = join(dir, 'db.env');
  const args = ['agent', '--role-id-file', join(dir, 'role-id'), '--secret-id-file', join(dir, 'secret-id'),
    '--secret', `database/creds/${env.role}=${file}`];

  const once = lessorCli(t, [...args, '--once', '--timeout', '20s'], { LESSOR_ADDR: env.address });
  const { code } = await once.exited;
  t.equal(code, 0, `exit 0 (${once.stderr().trim().split('\n').pop()})`);
  t.equal((await stat(file)).mode & 0o777, 0o600);
  const creds = parseEnvFile(await readFile(file, 'utf8'));
  t.equal(await env.query(creds.USERNAME, creds.PASSWORD), 3, 'the credentials log in and read');
  t.match(creds.LEASE_ID, new RegExp(`^database/creds/${env.role}/`));
  t.equal(creds.LEASE_DURATION, '60');
  t.notOk(once.stderr().includes(creds.PASSWORD), 'no password in the output');

  const sidecar = lessorCli(t, args, { LESSOR_ADDR: env.address });
  await waitUntil('sidecar adopted the lease', 30_000, async () => sidecar.stderr().includes('live lease adopted'),
    () => (sidecar.child.exitCode !== null ? `sidecar exited: ${sidecar.stderr()}` : undefined));
  t.same(parseEnvFile(await readFile(file, 'utf8')), creds, 'file untouched');
  const leases = await env.tr.call('LIST', `sys/leases/lookup/database/creds/${env.role}/`);
  t.equal(leases.body.data.keys.length, 1, 'still one lease: no second credentials issued');
  sidecar.child.kill('SIGTERM');
  t.equal((await sidecar.exited).code, 0);
});

t.test('--once with lessor down: non-zero and one clear line after --timeout', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lessor-once-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'role-id'), 'r');
  await writeFile(join(dir, 'secret-id'), 's');
  const port = await freePort();
  const started = Date.now();
  const once = lessorCli(t, ['agent', '--once', '--timeout', '2s', '--address', `http://127.0.0.1:${port}`,
    '--role-id-file', join(dir, 'role-id'), '--secret-id-file', join(dir, 'secret-id'),
    '--secret', `database/creds/app=${join(dir, 'db.env')}`]);
  const { code } = await once.exited;
  t.not(code, 0, 'non-zero exit');
  t.ok(Date.now() - started < 15_000, 'gave up soon after the timeout');
  const last = once.stderr().trim().split('\n').pop();
  t.match(last, new RegExp(`^lessor agent: gave up after 2s: cannot reach lessor at http://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
  await t.rejects(stat(join(dir, 'db.env')), 'no file written');
});

t.test('--secret-id-wrapped: the agent unwraps a wrapped secret ID once, and refuses a token wrapped elsewhere', async (t) => {
  const env = await e2e(t, { defaultTtl: 60, maxTtl: 600 });
  const dir = await mkdtemp(join(tmpdir(), 'lessor-wrapped-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { roleId } = await env.approle();
  const wrapped = await env.tr.call('PUT', `auth/approle/role/${env.role}/secret-id`, { headers: { 'x-vault-wrap-ttl': '60s' } });
  t.equal(wrapped.status, 200);
  await writeFile(join(dir, 'role-id'), roleId);
  await writeFile(join(dir, 'secret-id'), wrapped.body.wrap_info.token);
  const file = join(dir, 'db.env');
  const args = ['agent', '--once', '--timeout', '20s', '--secret-id-wrapped', '--role-id-file', join(dir, 'role-id'),
    '--secret-id-file', join(dir, 'secret-id'), '--secret', `database/creds/${env.role}=${file}`];
  const once = lessorCli(t, args, { LESSOR_ADDR: env.address });
  t.equal((await once.exited).code, 0, `exit 0 (${once.stderr().trim().split('\n').pop()})`);
  const creds = parseEnvFile(await readFile(file, 'utf8'));
  t.equal(await env.query(creds.USERNAME, creds.PASSWORD), 3, 'logged in with the unwrapped secret ID');
  const spent = await env.tr.call('POST', 'sys/wrapping/lookup', { token: null, body: { token: wrapped.body.wrap_info.token } });
  t.equal(spent.status, 400, 'the wrapping token is spent');

  // A wrapping token of some other answer (here a token create) is not a secret ID: refused unspent.
  const other = await env.tr.call('POST', 'auth/token/create', { headers: { 'x-vault-wrap-ttl': '60s' }, body: { policies: ['default'] } });
  await writeFile(join(dir, 'secret-id'), other.body.wrap_info.token);
  await rm(file, { force: true });
  const refused = lessorCli(t, [...args.slice(0, 3), '2s', ...args.slice(4)], { LESSOR_ADDR: env.address });
  t.not((await refused.exited).code, 0, 'non-zero exit');
  t.match(refused.stderr(), /created by "auth\/token\/create", not by a secret-id request/);
  t.equal((await env.tr.call('POST', 'sys/wrapping/lookup', { token: null, body: { token: other.body.wrap_info.token } })).status, 200, 'and left it unspent');
  await t.rejects(stat(file), 'no file written');
});
