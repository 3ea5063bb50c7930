// Done when: the agent keeps a file valid across three forced rotations (short max TTL) while a
// loop connecting with the file's credentials never fails for more than one retry; the app gets
// its signal on each change. Real lessor (as a listening server), real PostgreSQL, the agent as a
// real `lessor agent` process with AppRole files, --signal HUP --pid-file, --revoke-on-exit.
import t from 'tap';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/proc.js';
import { e2e } from './e2e-setup.js';
import { countLines, hupCounter, lessorCli, parseEnvFile } from './processes.js';

t.test('file stays valid across three rotations; one HUP per change', async (t) => {
  const env = await e2e(t, { defaultTtl: 6, maxTtl: 12 });
  const dir = await mkdtemp(join(tmpdir(), 'lessor-agent-e2e-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { roleId, secretId } = await env.approle();
  await writeFile(join(dir, 'role-id'), roleId);
  await writeFile(join(dir, 'secret-id'), secretId);
  const hups = join(dir, 'hups');
  const app = await hupCounter(t, hups);
  await writeFile(join(dir, 'app.pid'), String(app.child.pid));
  const file = join(dir, 'db.env');

  const agent = lessorCli(t, [
    'agent', '--address', env.address,
    '--role-id-file', join(dir, 'role-id'), '--secret-id-file', join(dir, 'secret-id'),
    '--secret', `database/creds/${env.role}=${file}`,
    '--signal', 'HUP', '--pid-file', join(dir, 'app.pid'),
    '--grace', '2s', '--revoke-on-exit', '--health-file', join(dir, 'healthy'),
  ]);
  await waitUntil('first credentials written', 30_000, async () => (await stat(file).catch(() => null)) !== null,
    () => (agent.child.exitCode !== null ? `agent exited: ${agent.stderr()}` : undefined));
  t.equal((await stat(file)).mode & 0o777, 0o600, 'written 0600');

  // The app: every iteration reads the file and opens a new connection with what it says.
  const users = new Set<string>();
  const passwords = new Set<string>();
  let connections = 0;
  let retried = 0;
  const doubleFailures: string[] = [];
  const retryReasons: string[] = [];
  const deadline = Date.now() + 90_000;
  while (users.size < 4 && Date.now() < deadline) {
    let creds = parseEnvFile(await readFile(file, 'utf8'));
    try {
      await env.query(creds.USERNAME, creds.PASSWORD);
    } catch (err) {
      retried++;
      retryReasons.push(`${creds.USERNAME}: ${(err as Error).message}`);
      creds = parseEnvFile(await readFile(file, 'utf8'));
      try {
        await env.query(creds.USERNAME, creds.PASSWORD);
      } catch (err) {
        doubleFailures.push(`${creds.USERNAME}: ${(err as Error).message}`);
      }
    }
    connections++;
    users.add(creds.USERNAME);
    passwords.add(creds.PASSWORD);
  }
  t.equal(users.size, 4, 'initial credentials and three rotations');
  t.same(doubleFailures, [], 'no connection failed twice in a row');
  t.comment(`${connections} connections, ${retried} needed their one retry`);
  for (const r of retryReasons) t.comment(`retried after: ${r}`);

  agent.child.kill('SIGTERM');
  const { code } = await agent.exited;
  t.equal(code, 0, 'SIGTERM: clean exit');
  const log = agent.stderr();
  const rotations = log.split('\n').filter((l) => l.includes('"credentials rotated"')).length;
  t.ok(rotations >= 3, `${rotations} rotations logged`);
  await waitUntil('one HUP per rotation', 10_000, async () => (await countLines(hups)) === rotations);
  t.equal(await countLines(hups), rotations, 'the app got exactly one signal per change');
  t.ok(log.includes('"lease renewed"'), 'renewals logged');
  for (const p of passwords) t.notOk(log.includes(p), 'no password in the agent log');
  t.notOk(log.includes(secretId), 'no secret ID in the agent log');
  t.ok((await stat(join(dir, 'healthy'))).isFile(), 'health file written');

  // --revoke-on-exit: every user this agent created is gone (old ones after their grace).
  for (const u of users) await waitUntil(`${u} dropped`, 15_000, async () => !(await env.roleExists(u)));
  t.pass('all database users revoked');
});
