// Servers never outlive the process that started them: removed on normal
// exit and on SIGTERM by the exit hooks, and after a SIGKILL by the reaper.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { portOpen, sleep } from '../helpers/proc.js';
import { reapOrphans } from '../helpers/registry.js';

const child = fileURLToPath(new URL('./orphan-child.ts', import.meta.url));

async function startChild(mode: 'exit' | 'hang') {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(proc, 'exit');
  let out = '';
  for await (const chunk of proc.stdout) {
    out += chunk;
    if (out.includes('\n')) break;
  }
  const info = JSON.parse(out) as { dir: string; port: number };
  return { proc, exited, ...info };
}

async function gone(t: Test, dir: string, port: number) {
  for (let i = 0; i < 50 && (existsSync(dir) || await portOpen(port)); i++) await sleep(100);
  t.notOk(existsSync(dir), 'temp dir removed');
  t.notOk(await portOpen(port), 'server port closed');
}

t.test('removed when the process exits by itself', async (t) => {
  const c = await startChild('exit');
  await c.exited;
  await gone(t, c.dir, c.port);
});

t.test('removed on SIGTERM', async (t) => {
  const c = await startChild('hang');
  t.ok(await portOpen(c.port), 'running');
  c.proc.kill('SIGTERM');
  await c.exited;
  await gone(t, c.dir, c.port);
});

t.test('reaped after SIGKILL', async (t) => {
  const c = await startChild('hang');
  c.proc.kill('SIGKILL');
  await c.exited;
  t.ok(await portOpen(c.port), 'orphan survives its owner');
  reapOrphans();
  await gone(t, c.dir, c.port);
});
