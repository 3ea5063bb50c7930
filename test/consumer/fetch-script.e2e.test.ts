// Done when: the fetch script works end to end and fails cleanly on a bad secret ID. Also its
// other failure paths (unreachable, not JSON, bad flags): a clear line and a non-zero exit.
import t from 'tap';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/proc.js';
import { e2e } from './e2e-setup.js';
import { fetchScript, parseEnvFile } from './processes.js';

t.test('fetch script: end to end, then a bad secret ID', async (t) => {
  const env = await e2e(t, { defaultTtl: 60, maxTtl: 600 });
  const dir = await mkdtemp(join(tmpdir(), 'lessor-fetch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { roleId, secretId } = await env.approle();
  await writeFile(join(dir, 'role-id'), `${roleId}\n`);
  await writeFile(join(dir, 'secret-id'), `${secretId}\n`);
  const file = join(dir, 'db.env');
  const args = ['--address', env.address, '--role-id-file', join(dir, 'role-id'), '--secret-id-file', join(dir, 'secret-id'),
    '--secret', `database/creds/${env.role}=${file}`];

  const ok = fetchScript(t, args);
  t.equal((await ok.exited).code, 0, ok.stderr());
  t.equal(ok.stderr(), '', 'nothing on stderr');
  t.match(ok.stdout(), new RegExp(`^lease_id=database/creds/${env.role}/\\S+ ttl=60 file=${file}\\n$`));
  t.equal((await stat(file)).mode & 0o777, 0o600);
  const creds = parseEnvFile(await readFile(file, 'utf8'));
  t.equal(await env.query(creds.USERNAME, creds.PASSWORD), 3, 'the credentials log in and read');
  t.notOk(ok.stdout().includes(creds.PASSWORD), 'no password printed');
  const state = JSON.parse(await readFile(join(dir, '.db.env.lessor-state'), 'utf8'));
  t.equal(state.lease_id, creds.LEASE_ID, 'state file for a sidecar to adopt');

  await writeFile(join(dir, 'secret-id'), 'not-the-secret-id\n');
  const bad = fetchScript(t, [...args.slice(0, -1), `database/creds/${env.role}=${join(dir, 'other.env')}`]);
  t.equal((await bad.exited).code, 1);
  t.equal(bad.stdout(), '');
  const lines = bad.stderr().trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], /^lessor-fetch: PUT auth\/approle\/login: HTTP (400|403)(: .+)?$/);
  t.notOk(bad.stderr().includes('not-the-secret-id'));
  await t.rejects(stat(join(dir, 'other.env')), 'nothing written');
});

t.test('fetch script --secret-id-wrapped: unwraps a wrapped secret ID once, refuses a token wrapped elsewhere', async (t) => {
  const env = await e2e(t, { defaultTtl: 60, maxTtl: 600 });
  const dir = await mkdtemp(join(tmpdir(), 'lessor-fetch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { roleId } = await env.approle();
  const wrapped = await env.tr.call('PUT', `auth/approle/role/${env.role}/secret-id`, { headers: { 'x-vault-wrap-ttl': '60s' } });
  t.equal(wrapped.status, 200);
  const wrappingToken: string = wrapped.body.wrap_info.token;
  await writeFile(join(dir, 'role-id'), `${roleId}\n`);
  await writeFile(join(dir, 'secret-id'), `${wrappingToken}\n`);
  const file = join(dir, 'db.env');
  const args = ['--address', env.address, '--role-id-file', join(dir, 'role-id'), '--secret-id-file', join(dir, 'secret-id'),
    '--secret-id-wrapped', '--secret', `database/creds/${env.role}=${file}`];

  const ok = fetchScript(t, args);
  t.equal((await ok.exited).code, 0, ok.stderr());
  const creds = parseEnvFile(await readFile(file, 'utf8'));
  t.equal(await env.query(creds.USERNAME, creds.PASSWORD), 3, 'logged in with the unwrapped secret ID');
  t.notOk(ok.stdout().includes(wrappingToken), 'the wrapping token is not printed');
  t.equal((await env.tr.call('POST', 'sys/wrapping/lookup', { token: null, body: { token: wrappingToken } })).status, 400, 'the wrapping token is spent');

  const again = fetchScript(t, [...args.slice(0, -1), `database/creds/${env.role}=${join(dir, 'again.env')}`]);
  t.equal((await again.exited).code, 1, 'a spent wrapping token does not log in twice');
  t.match(again.stderr(), /^lessor-fetch: PUT sys\/wrapping\/lookup: HTTP 400: wrapping token is not valid/);

  const other = await env.tr.call('POST', 'auth/token/create', { headers: { 'x-vault-wrap-ttl': '60s' }, body: { policies: ['default'] } });
  await writeFile(join(dir, 'secret-id'), other.body.wrap_info.token);
  const refused = fetchScript(t, [...args.slice(0, -1), `database/creds/${env.role}=${join(dir, 'other.env')}`]);
  t.equal((await refused.exited).code, 1);
  t.match(refused.stderr(), /created by "auth\/token\/create", not by a secret-id request/);
  t.equal((await env.tr.call('POST', 'sys/wrapping/lookup', { token: null, body: { token: other.body.wrap_info.token } })).status, 200, 'and left it unspent');
  await t.rejects(stat(join(dir, 'other.env')), 'nothing written');
});

t.test('fetch script: unreachable, not JSON, bad usage', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lessor-fetch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'role-id'), 'r');
  await writeFile(join(dir, 'secret-id'), 's');
  const creds = ['--role-id-file', join(dir, 'role-id'), '--secret-id-file', join(dir, 'secret-id'), '--secret', `database/creds/app=${join(dir, 'x.env')}`];

  const port = await freePort();
  const down = fetchScript(t, ['--address', `http://127.0.0.1:${port}`, ...creds]);
  t.equal((await down.exited).code, 1);
  t.match(down.stderr(), new RegExp(`^lessor-fetch: cannot reach lessor at http://127\\.0\\.0\\.1:${port}: .*\\n$`));

  // A proxy's HTML page where JSON was expected.
  const html = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>'));
  await new Promise<void>((r) => html.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => html.close());
  const addr = html.address() as { port: number };
  const notJson = fetchScript(t, ['--address', `http://127.0.0.1:${addr.port}`, ...creds]);
  t.equal((await notJson.exited).code, 1);
  t.equal(notJson.stderr(), 'lessor-fetch: PUT auth/approle/login: answer is not a JSON object\n');

  const usage = fetchScript(t, ['--address', 'http://127.0.0.1:1', '--secret', 'nofile']);
  t.equal((await usage.exited).code, 1);
  t.match(usage.stderr(), /^lessor-fetch: --secret: expected <path>=<file>/);
  await t.rejects(stat(join(dir, 'x.env')));
});
