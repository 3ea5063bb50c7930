// Starts bench/child.ts in its own process and waits until it listens.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD_TS = fileURLToPath(new URL('../child.ts', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const BUILD = join(RESULTS_DIR, 'build');

/** How the child runs: compiled JavaScript (as `lessor server` runs from dist/) or through tsx. */
let childEntry: { file: string; execArgv: string[]; how: string } = { file: CHILD_TS, execArgv: ['--import', 'tsx'], how: 'tsx' };

function copyLua(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) copyLua(src, join(to, name));
    else if (name.endsWith('.lua')) {
      mkdirSync(dirname(join(to, name)), { recursive: true });
      cpSync(src, join(to, name));
    }
  }
}

/**
 * Compiles the working tree (tsc, emit only) into bench/results/build, with the Lua scripts and
 * migrations beside it, so the server under test runs as plain JavaScript like a production
 * install: no tsx loader in its CPU profile or its RSS. Falls back to tsx if that fails.
 */
export function buildChild(log: (s: string) => void, reuse = false): string {
  const t0 = performance.now();
  if (reuse && existsSync(join(BUILD, 'bench/child.js'))) {
    childEntry = { file: join(BUILD, 'bench/child.js'), execArgv: [], how: 'compiled JavaScript (reused build)' };
    log('  reusing bench/results/build (--no-build)');
    return childEntry.how;
  }
  rmSync(BUILD, { recursive: true, force: true });
  const r = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tsconfig.json'), '--noCheck', '--outDir', BUILD, '--sourceMap', 'false'], { cwd: ROOT, encoding: 'utf8' });
  const entry = join(BUILD, 'bench/child.js');
  if (r.status !== 0 || !existsSync(entry)) {
    log(`  compiling the server failed (${(r.stdout || r.stderr || '').split('\n')[0]}): running it through tsx`);
    return childEntry.how;
  }
  copyLua(join(ROOT, 'src'), join(BUILD, 'src'));
  copyLua(join(ROOT, 'plugins'), join(BUILD, 'plugins'));
  cpSync(join(ROOT, 'migrations'), join(BUILD, 'migrations'), { recursive: true });
  childEntry = { file: entry, execArgv: [], how: 'compiled JavaScript' };
  log(`  compiled the server in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return childEntry.how;
}

export interface Child {
  pid: number;
  port: number;
  base: string;
  /** ms from fork() to listening (the child's whole startup). */
  startMs: number;
  proc: ChildProcess;
  rssMb(): number;
  /** CPU time (user + system) the child has used so far, in ms. */
  cpuMs(): number;
  command(cmd: string, extra?: Record<string, unknown>): Promise<void>;
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
  const execArgv = [...childEntry.execArgv, ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [])];
  const log = openSync(join(RESULTS_DIR, opts.logName ?? `${mode}.log`), 'a');
  const t0 = performance.now();
  const proc = fork(childEntry.file, [mode], {
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
    cpuMs: () => {
      const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 (utime, stime) in clock ticks, 100 per second on Linux.
      return (Number(f[11]) + Number(f[12])) * 10;
    },
    command: (cmd, extra = {}) => new Promise((resolve) => {
      const on = (m: { ack?: string }) => {
        if (m?.ack === cmd) {
          proc.off('message', on);
          resolve();
        }
      };
      proc.on('message', on);
      proc.send({ cmd, ...extra });
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
