// Starts bench/child.ts in its own process and waits until it listens.
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../child.ts', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface Child {
  pid: number;
  port: number;
  base: string;
  /** ms from fork() to listening (the child's whole startup). */
  startMs: number;
  proc: ChildProcess;
  rssMb(): number;
  command(cmd: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ChildOptions {
  env?: Record<string, string>;
  /** Write a V8 CPU profile into this directory when the child exits. */
  cpuProfDir?: string;
  /** Name of the log file under bench/results/ (lessor's pino output). */
  logName?: string;
}

export async function startChild(mode: 'lessor' | 'baseline', opts: ChildOptions = {}): Promise<Child> {
  const execArgv = ['--import', 'tsx', ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [])];
  const log = openSync(join(RESULTS_DIR, opts.logName ?? `${mode}.log`), 'a');
  const t0 = performance.now();
  const proc = fork(CHILD, [mode], {
    execArgv,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', log, log, 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${mode} child exited with ${code} before listening (see bench/results/${opts.logName ?? `${mode}.log`})`));
    proc.once('exit', onExit);
    proc.once('error', reject);
    proc.on('message', (m: { port?: number }) => {
      if (m?.port) {
        proc.off('exit', onExit);
        resolve(m.port);
      }
    });
  });
  const startMs = performance.now() - t0;
  const child: Child = {
    pid: proc.pid!,
    port,
    base: `http://127.0.0.1:${port}`,
    startMs,
    proc,
    rssMb: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    command: (cmd) => new Promise((resolve) => {
      const on = (m: { ack?: string }) => {
        if (m?.ack === cmd) {
          proc.off('message', on);
          resolve();
        }
      };
      proc.on('message', on);
      proc.send({ cmd });
    }),
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGTERM');
    }),
  };
  return child;
}
