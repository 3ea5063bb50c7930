// `lessor dev`'s exit does not wait forever on a target that stopped answering: it gives up
// after LESSOR_DEV_EXIT_REVOKE_MS and says what it left, and a second signal exits at once.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from '../helpers/proc.js';
import { lessorCli, type Proc } from '../consumer/processes.js';
import type { Teardown } from '../helpers/context.js';
import { pgFixture } from '../database/pg-fixture.js';

/** A TCP relay to the target; hold() stops it relaying, so the target seems to hang. */
async function relay(t: Teardown, target: { host: string; port: number }) {
  const pairs = new Set<[Socket, Socket]>();
  let held = false;
  const server = createServer((client) => {
    client.on('error', () => {});
    if (held) return; // accepted, never answered
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
    pairs.add([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const [a, b] of pairs) { a.destroy(); b.destroy(); }
    server.close();
  });
  return {
    port: (server.address() as { port: number }).port,
    hold() {
      held = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
  };
}

async function devWithLease(t: Teardown, env: Record<string, string>): Promise<{ proc: Proc; hold: () => void; port: number }> {
  const pgx = await pgFixture(t);
  const target = await relay(t, pgx.server);
  const dataDir = mkdtempSync(join(tmpdir(), 'lessor-dev-hang-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const proc = lessorCli(t, ['dev'], { LESSOR_LISTEN: `127.0.0.1:${port}`, LESSOR_DATA_DIR: dataDir, LESSOR_LOG_LEVEL: 'warn', ...env });
  let exited = false;
  void proc.exited.then(() => (exited = true));
  await waitUntil('lessor dev to answer health', 90_000,
    async () => (await fetch(`http://127.0.0.1:${port}/v1/sys/health`)).status === 200,
    () => (exited ? `exited: ${proc.stderr()}` : undefined));
  const token = /root token: (\S+)/.exec(proc.stderr())![1];
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/${path}`, {
      method, headers: { 'x-vault-token': token, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  };
  const connectionUrl = String(pgx.config.connection_url).replace(`:${pgx.server.port}/`, `:${target.port}/`);
  await call('POST', 'database/config/pg', { ...pgx.config, connection_url: connectionUrl, allowed_roles: ['*'] });
  await call('POST', 'database/roles/reader', { ...pgx.groupRole, db_name: 'pg' });
  await call('GET', 'database/creds/reader');
  return { proc, hold: target.hold, port };
}

t.test('with the target hanging, the exit gives up after its bound and counts the lease as failed', async (t) => {
  const { proc, hold } = await devWithLease(t, { LESSOR_DEV_EXIT_REVOKE_MS: '1500' });
  hold();
  const started = Date.now();
  proc.child.kill('SIGTERM');
  const { code } = await proc.exited;
  const elapsed = Date.now() - started;
  t.equal(code, 0);
  t.match(proc.stderr(), /^lessor dev: revoked 0 leases \(1 failed\)$/m, 'says the lease was left');
  t.ok(elapsed < 15_000, `exits in bounded time (${elapsed} ms)`);
});

t.test('a second signal exits at once while revocations hang', async (t) => {
  const { proc, hold, port } = await devWithLease(t, { LESSOR_DEV_EXIT_REVOKE_MS: '600000' });
  hold();
  proc.child.kill('SIGTERM');
  // The first signal's shutdown is under way once it stopped accepting connections.
  await waitUntil('the listener to close', 30_000, async () => !(await fetch(`http://127.0.0.1:${port}/v1/sys/health`).then(() => true, () => false)));
  proc.child.kill('SIGINT');
  const { code } = await proc.exited;
  t.equal(code, 1, 'exits without waiting for the revocations');
  t.notMatch(proc.stderr(), /revoked \d+ leases/, 'did not get to finish them');
});
