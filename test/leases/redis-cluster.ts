// A throwaway three-master Redis Cluster on local ports, for the cluster run of the lease store
// contract (every multi-key script must stay in one slot: the `{prefix}` hash tag).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { freePort, waitUntil, portOpen } from '../helpers/proc.js';

const run = promisify(execFile);

export async function startRedisCluster(t: Test): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lessor-test-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = ports.map((port) => spawn('/usr/bin/redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
    '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no',
  ], { stdio: 'ignore' }));
  t.teardown(() => {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  for (const port of ports) await waitUntil(`redis ${port}`, 30_000, () => portOpen(port));
  await run('/usr/bin/redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  await waitUntil('cluster state ok', 30_000, async () => {
    const { stdout } = await run('/usr/bin/redis-cli', ['-p', String(ports[0]), 'cluster', 'info']);
    return stdout.includes('cluster_state:ok');
  });
  return `redis://127.0.0.1:${ports[0]}`;
}
