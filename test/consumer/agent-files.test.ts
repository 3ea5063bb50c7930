// The agent's own logic against a fake lessor (in-process, fast): env/json/template outputs
// written 0600 with a state file, adoption on restart, rotation → rewrite, notify once, revoke
// the old lease after the grace; no secret in its log. Real-server behaviour: agent-*.e2e files.
import t, { type Test } from 'tap';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent, StartupTimeout } from '../../src/agent/agent.js';
import type { AgentOptions } from '../../src/agent/options.js';
import { statePath } from '../../src/agent/state.js';
import { freePort, waitUntil } from '../helpers/proc.js';
import { fakeLessor, type FakeLessor } from './fake-lessor.js';

async function setup(t: Test, f: FakeLessor) {
  const dir = await mkdtemp(join(tmpdir(), 'lessor-agent-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'role-id'), f.roleId);
  await writeFile(join(dir, 'secret-id'), `${f.secretId}\n`);
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
  const opts = (o: Partial<AgentOptions> = {}): AgentOptions => ({
    address: f.url,
    auth: { kind: 'approle', roleIdFile: join(dir, 'role-id'), secretIdFile: join(dir, 'secret-id'), removeSecretIdFile: false },
    secrets: [{ path: 'database/creds/app', file: join(dir, 'db.env') }],
    format: { kind: 'env' }, once: false, timeoutMs: 5000, revokeOnExit: false, graceMs: 200, logLevel: 'info', ...o,
  });
  const start = async (o: Partial<AgentOptions> = {}) => {
    const a = new Agent(opts(o), log);
    t.teardown(() => a.stop(false));
    await a.start();
    return a;
  };
  return { dir, lines, opts, start, log };
}

const mode = async (file: string) => (await stat(file)).mode & 0o777;
const parseEnv = (s: string) => Object.fromEntries(s.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

t.test('env file and state file, 0600; a restarted agent adopts the lease', async (t) => {
  const f = await fakeLessor(t, { ttl: 30, maxTtl: 60 });
  const s = await setup(t, f);
  const file = join(s.dir, 'db.env');
  const a = await s.start();
  const env = parseEnv(await readFile(file, 'utf8'));
  t.equal(env.USERNAME, 'v-app-1');
  t.match(env.PASSWORD, /^'p w'\\''[0-9a-f]+'$/, 'a value with a quote and a space is shell-quoted');
  t.match(env.LEASE_ID, /^database\/creds\/app\//);
  t.equal(env.LEASE_DURATION, '30');
  t.equal(await mode(file), 0o600);
  t.equal(await mode(statePath(file)), 0o600);
  t.equal(JSON.parse(await readFile(statePath(file), 'utf8')).lease_id, env.LEASE_ID);
  await a.stop(false);

  const before = await readFile(file, 'utf8');
  const b = await s.start();
  t.equal(f.leases.size, 1, 'restart issued nothing new');
  t.equal(await readFile(file, 'utf8'), before, 'file kept');
  t.equal(b.keepers[0].current?.leaseId, env.LEASE_ID);
  await b.stop(true);
  t.equal(f.leases.get(env.LEASE_ID)!.revoked, true, 'revoke on exit');
  await t.rejects(stat(statePath(file)), 'state removed with the revoked lease');
  const password = env.PASSWORD.replace(/^'|'$/g, '').replace(/'\\''/g, "'");
  t.notOk(s.lines.some((l) => l.includes(password.slice(4)) || l.includes(f.secretId)), 'no secret in the log');
  t.ok(s.lines.some((l) => l.includes('live lease adopted')));
});

t.test('rotation rewrites the file, notifies once, revokes the old lease after the grace', async (t) => {
  const f = await fakeLessor(t, { ttl: 2, maxTtl: 4 });
  const s = await setup(t, f);
  const file = join(s.dir, 'db.json');
  const marks = join(s.dir, 'marks');
  const a = await s.start({
    format: { kind: 'json' }, secrets: [{ path: 'database/creds/app', file }],
    execOnChange: `echo changed >> '${marks}'`,
  });
  const first = JSON.parse(await readFile(file, 'utf8'));
  t.equal(first.data.username, 'v-app-1');
  await waitUntil('rotation', 10_000, async () => JSON.parse(await readFile(file, 'utf8')).data.username === 'v-app-2');
  await waitUntil('old lease revoked', 5000, async () => f.leases.get(first.lease_id)!.revoked);
  await waitUntil('notified', 5000, async () => (await readFile(marks, 'utf8').catch(() => '')).length > 0);
  t.equal((await readFile(marks, 'utf8')).trim().split('\n').length, 1, 'one notification for one change');
  t.equal(a.notifier.count, 1);
  t.equal(await mode(file), 0o600);
});

t.test('template format: {{ .username }} and {{ password }} placeholders, no HTML escaping', async (t) => {
  const f = await fakeLessor(t, { ttl: 30, maxTtl: 60 });
  const s = await setup(t, f);
  const tpl = join(s.dir, 'tpl');
  await writeFile(tpl, 'postgres://{{ .username }}:{{ password }}@db/app?lease={{ lease_id }}\n');
  const file = join(s.dir, 'url');
  await s.start({ format: { kind: 'template', file: tpl }, secrets: [{ path: 'database/creds/app', file }] });
  t.match(await readFile(file, 'utf8'), /^postgres:\/\/v-app-1:p w'[0-9a-f]+@db\/app\?lease=database\/creds\/app\/[0-9a-f]+\n$/);
});

t.test('--once with lessor unreachable: one clear error after the timeout', async (t) => {
  const f = await fakeLessor(t);
  const s = await setup(t, f);
  const port = await freePort();
  const a = new Agent(s.opts({ address: `http://127.0.0.1:${port}`, once: true, timeoutMs: 1500 }), s.log);
  const started = Date.now();
  const err = await a.start().catch((e) => e);
  await a.stop(false);
  t.type(err, StartupTimeout);
  t.match(err.message, /^gave up after 1\.5s: cannot reach lessor at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  t.ok(Date.now() - started < 4000, 'gave up near the timeout');
  t.ok(s.lines.some((l) => l.includes('lessor unavailable, retrying')), 'retries were logged');
});

t.test('a bad secret ID fails at once, without retrying', async (t) => {
  const f = await fakeLessor(t);
  const s = await setup(t, f);
  await writeFile(join(s.dir, 'secret-id'), 'wrong');
  const a = new Agent(s.opts({ once: true }), s.log);
  const err = await a.start().catch((e) => e);
  await a.stop(false);
  t.match(err.message, /auth\/approle\/login: 400 invalid role ID or secret ID/);
  t.equal(f.requests.filter((r) => r.includes('login')).length, 1);
});

t.test('metrics and health endpoints; the secret ID file removed after login when asked', async (t) => {
  const f = await fakeLessor(t, { ttl: 30, maxTtl: 60 });
  const s = await setup(t, f);
  const a = await s.start({
    metricsListen: { host: '127.0.0.1', port: 0 },
    auth: { kind: 'approle', roleIdFile: join(s.dir, 'role-id'), secretIdFile: join(s.dir, 'secret-id'), removeSecretIdFile: true },
  });
  const metrics = await (await fetch(`${a.metricsUrl}/metrics`)).text();
  t.match(metrics, /lessor_agent_fetches_total\{path="database\/creds\/app"\} 1/);
  t.match(metrics, /lessor_agent_lease_expiry_timestamp_seconds\{path="database\/creds\/app"\} \d+/);
  const health = await fetch(`${a.metricsUrl}/health`);
  t.equal(health.status, 200);
  await waitUntil('secret ID file removed', 5000, async () => !(await stat(join(s.dir, 'secret-id')).catch(() => null)));
  // Later logins (after a 403) reuse the secret ID read at the first one.
  f.revokeTokens();
  await a.keepers[0].stop(false);
  await a.keepers[0].start().catch(() => {});
  t.equal(f.logins, 2, 'logged in again without the file');
});

t.test('sidecar started before lessor: keeps retrying with backoff, then writes', async (t) => {
  const first = await fakeLessor(t);
  const s = await setup(t, first);
  await first.close();
  const port = await freePort();
  const a = new Agent(s.opts({ address: `http://127.0.0.1:${port}` }), s.log);
  t.teardown(() => a.stop(false));
  let started = false;
  const starting = a.start().then(() => { started = true; });
  await waitUntil('a few failed attempts', 10_000, async () => s.lines.filter((l) => l.includes('lessor unavailable, retrying')).length >= 2);
  t.equal(started, false, 'still waiting for lessor');
  const f = await fakeLessor(t, { port, roleId: first.roleId, secretId: first.secretId });
  await starting;
  t.equal(parseEnv(await readFile(join(s.dir, 'db.env'), 'utf8')).USERNAME, 'v-app-1');
  t.equal(f.logins, 1);
});
