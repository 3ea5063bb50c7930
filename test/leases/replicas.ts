// Spawns reaper-process.ts replicas for the multi-process tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { LeaseTuning } from '../../src/leases/index.js';

const SCRIPT = fileURLToPath(new URL('./reaper-process.ts', import.meta.url));

export interface Replica {
  proc: ChildProcess;
  go(): void;
}

export async function startReplica(t: Test, env: Record<string, string>, tuning: LeaseTuning): Promise<Replica> {
  const proc = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, ...env, LEASE_TUNING: JSON.stringify(tuning) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica did not start in 60 s: ${stderr.slice(-2000)}`)), 60_000);
    proc.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited (${code}): ${stderr.slice(-2000)}`));
    });
  });
  return { proc, go: () => proc.stdin!.write('go\n') };
}
