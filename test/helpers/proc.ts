// Process plumbing shared by the local (non-Docker) test servers: free ports,
// readiness polling, and a supervised server process with start/stop.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { killAndWaitSync } from './registry.js';
import type { ServerHandle } from './servers.js';

/** Hex only, so it never needs escaping in URLs, SQL literals or config files. */
export const randomSecret = (bytes = 12): string => randomBytes(bytes).toString('hex');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Ask the kernel for an unused port. Small race with other processes, accepted. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** true if something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(1000, () => { s.destroy(); resolve(true); }); // hanging != closed
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * Poll `probe` until it resolves truthy. `fatal` lets the caller fail fast
 * (e.g. the server process already died) instead of waiting for the timeout.
 */
export async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>,
  fatal: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const dead = fatal();
    if (dead) throw new Error(`${what}: ${dead}`);
    try {
      if (await probe()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs}ms${last ? ` (last error: ${last})` : ''}`);
    await sleep(100);
  }
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Run a short-lived setup command (initdb, mariadb-install-db), failing with its output. */
export function runSync(cmd: string, args: string[], opts: { uid?: number; gid?: number; cwd: string }): void {
  try {
    execFileSync(cmd, args, { ...opts, stdio: 'pipe', timeout: 120_000, env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`${cmd} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** uid/gid of a system account, used to run postgres as `postgres` when we are root. */
export function osUser(name: string): { uid: number; gid: number } {
  const out = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return { uid: out('-u'), gid: out('-g') };
}

/** A long-running server process whose stdout/stderr go to a log file in its dir. */
export class Daemon {
  child: ChildProcess | undefined;
  private exit: Promise<void> | undefined;
  exitInfo: string | undefined;

  constructor(readonly name: string, readonly dir: string, readonly cmd: string, readonly args: string[],
    readonly opts: { uid?: number; gid?: number; stopSignal: NodeJS.Signals; exitSignal: NodeJS.Signals }) {}

  get log(): string { return join(this.dir, 'server.log'); }
  get pid(): number | undefined { return this.exitInfo === undefined ? this.child?.pid : undefined; }

  start(): void {
    const fd = openSync(this.log, 'a');
    try {
      // detached: own process group, so a terminal ^C reaches only us and we decide
      // the shutdown order; unref: a test file that started servers may still exit.
      this.child = spawn(this.cmd, this.args, {
        cwd: this.dir, detached: true, stdio: ['ignore', fd, fd],
        uid: this.opts.uid, gid: this.opts.gid, env: { ...process.env, LC_ALL: 'C' },
      });
    } finally {
      closeSync(fd);
    }
    this.exitInfo = undefined;
    const child = this.child;
    this.exit = new Promise((resolve) => {
      child.once('error', (err) => { this.exitInfo = `failed to spawn: ${err.message}`; resolve(); });
      child.once('exit', (code, sig) => { this.exitInfo = `exited (code ${code}, signal ${sig})`; resolve(); });
    });
    child.unref();
    if (child.pid) writeFileSync(join(this.dir, 'daemon.pid'), String(child.pid));
  }

  /** Message for waitUntil's fail-fast hook. */
  died = (): string | undefined => this.exitInfo && `${this.name} ${this.exitInfo}; log:\n${tail(this.log)}`;

  /** Poll until the server answers; a timeout error carries the end of the server log. */
  async waitReady(timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
    try {
      await waitUntil(this.name, timeoutMs, probe, this.died);
    } catch (err) {
      const msg = (err as Error).message;
      throw new Error(msg.includes('log:\n') ? msg : `${msg}; log:\n${tail(this.log)}`);
    }
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.child || this.exitInfo !== undefined) return;
    this.child.kill(this.opts.stopSignal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** Used from the synchronous exit handler: no awaiting possible there. */
  killSync(): void {
    const pid = this.pid;
    if (pid) killAndWaitSync(pid, this.opts.exitSignal);
  }
}

/** The start/stop/destroy half of a ServerHandle, identical for every local server. */
export function localLifecycle(daemon: Daemon, port: number, ready: () => Promise<void>, unregister: () => void):
  Pick<ServerHandle, 'start' | 'stop' | 'destroy'> {
  const stop = async () => {
    await daemon.stop();
    await waitUntil(`${daemon.name}: port to close`, 10_000, async () => !(await portOpen(port)));
  };
  return {
    async start() {
      if (daemon.pid) return;
      if (await portOpen(port)) throw new Error(`${daemon.name}: port was taken by another process while stopped`);
      daemon.start();
      await ready();
    },
    stop,
    async destroy() {
      await stop().catch(() => daemon.killSync());
      unregister();
      await rm(daemon.dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
