// `lessor dev` keeps leases in memory: a graceful exit revokes them, so no user it made stays
// in the targets, and a restart on the same data dir keeps the root token it printed.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from '../helpers/proc.js';
import { lessorCli, type Proc } from '../consumer/processes.js';
import type { Teardown } from '../helpers/context.js';
import { pgFixture } from '../database/pg-fixture.js';
import { mariadbFixture } from '../database/mariadb-fixture.js';

interface Dev {
  proc: Proc;
  token: string;
  call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
}

async function startDev(t: Teardown, dataDir: string): Promise<Dev> {
  const port = await freePort();
  const proc = lessorCli(t, ['dev'], { LESSOR_LISTEN: `127.0.0.1:${port}`, LESSOR_DATA_DIR: dataDir, LESSOR_LOG_LEVEL: 'warn' });
  let exited = false;
  void proc.exited.then(() => (exited = true));
  await waitUntil('lessor dev to answer health', 90_000,
    async () => (await fetch(`http://127.0.0.1:${port}/v1/sys/health`)).status === 200,
    () => (exited ? `exited: ${proc.stderr()}` : undefined));
  const token = /root token: (\S+)/.exec(proc.stderr())?.[1];
  if (!token) throw new Error(`no root token in the banner: ${proc.stderr()}`);
  const call: Dev['call'] = async (method, path, body, tok = token) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/${path}`, {
      method, headers: { 'x-vault-token': tok, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return { proc, token, call };
}

async function ok(dev: Dev, method: string, path: string, body?: unknown) {
  const res = await dev.call(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

t.test('lessor dev revokes its leases on SIGTERM and keeps its root token across a restart', async (t) => {
  const [pgx, maria] = await Promise.all([pgFixture(t), mariadbFixture(t)]);
  const dataDir = mkdtempSync(join(tmpdir(), 'lessor-dev-exit-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));

  const dev = await startDev(t, dataDir);
  await ok(dev, 'POST', 'database/config/pg', { ...pgx.config, allowed_roles: ['*'] });
  await ok(dev, 'POST', 'database/roles/pg-reader', { ...pgx.groupRole, db_name: 'pg' });
  await ok(dev, 'POST', 'database/config/maria', { ...maria.config, allowed_roles: ['*'] });
  await ok(dev, 'POST', 'database/roles/maria-reader', { ...maria.role, db_name: 'maria' });
  const pgUser = (await ok(dev, 'GET', 'database/creds/pg-reader')).data;
  const mariaUser = (await ok(dev, 'GET', 'database/creds/maria-reader')).data;
  t.ok(await pgx.canSelect(pgUser.username, pgUser.password), 'the PostgreSQL user works');
  t.ok(await maria.canSelect(mariaUser.username, mariaUser.password), 'the MariaDB user works');

  dev.proc.child.kill('SIGTERM');
  t.equal((await dev.proc.exited).code, 0, 'a graceful exit');
  t.match(dev.proc.stderr(), /^lessor dev: revoked 2 leases \(0 failed\)$/m, 'says how many it revoked');
  t.notOk(await pgx.roleExists(pgUser.username), 'the PostgreSQL user is gone');
  t.notOk(await maria.userExists(mariaUser.username), 'the MariaDB user is gone');

  const again = await startDev(t, dataDir);
  t.equal(again.token, dev.token, 'the banner shows the same root token');
  const self = await again.call('GET', 'auth/token/lookup-self', undefined, dev.token);
  t.equal(self.status, 200, 'the old root token works after the restart');
  t.same(self.body.data.policies, ['root']);
  t.equal((await again.call('GET', 'database/config/pg')).status, 200, 'as the configs do');

  again.proc.child.kill('SIGTERM');
  t.equal((await again.proc.exited).code, 0);
  t.match(again.proc.stderr(), /^lessor dev: revoked 0 leases \(0 failed\)$/m);
});
