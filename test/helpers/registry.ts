// Every local server is registered here so that it is killed and its temp dir
// removed when this process exits, however it exits (normal exit, failure,
// SIGINT/SIGTERM/SIGHUP). Servers orphaned by a SIGKILLed process are reaped
// by the next process that starts a server.
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Daemon } from './proc.js';

const DIR_PREFIX = 'lessor-test-';

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Signal, then busy-wait (bounded) until the process is gone or a zombie, then SIGKILL. */
export function killAndWaitSync(pid: number, signal: NodeJS.Signals): void {
  const alive = () => { const s = procState(pid); return s !== undefined && s !== 'Z'; };
  try { process.kill(pid, signal); } catch { return; }
  const deadline = Date.now() + 5000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (alive() && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20);
  if (alive()) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
}

const live = new Set<{ daemon: Daemon; dir: string }>();
let hooked = false;
let exitOnSignal = true;

/**
 * run-tests.ts turns this off: it handles signals itself (stop tap, print the
 * summary). Everyone else exits after cleanup, because deferring to "other
 * listeners" deadlocks with tap's signal-exit, which defers to us in turn.
 */
export function setExitOnSignal(enabled: boolean): void {
  exitOnSignal = enabled;
}

function cleanupAllSync(): void {
  for (const entry of live) {
    entry.daemon.killSync();
    rmSync(entry.dir, { recursive: true, force: true, maxRetries: 3 });
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAllSync);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(sig, () => {
      cleanupAllSync();
      if (exitOnSignal) process.exit(code);
    });
  }
}

/** Make a temp dir for a server, recording our pid so a later run can reap it if we get SIGKILLed. */
export function makeServerDir(kind: string): string {
  if (!reaped) reapOrphans();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${kind}-`));
  writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, start: procStart(process.pid) }));
  return dir;
}

export function register(daemon: Daemon): () => void {
  hookExit();
  const entry = { daemon, dir: daemon.dir };
  live.add(entry);
  return () => { live.delete(entry); };
}

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22: starttime
  } catch {
    return undefined;
  }
}

/** Is pid still a server of ours? (redis rewrites its cmdline, so also check its cwd.) */
function ownedBy(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

let reaped = false;
/**
 * Remove servers left behind by harness processes that died without running their
 * exit handler (SIGKILL, e.g. a tap timeout). Only touches our own dirs, and only
 * kills a pid whose cwd or command line is inside that dir.
 */
export function reapOrphans(): void {
  reaped = true;
  let names: string[] = [];
  try { names = readdirSync(tmpdir()).filter((n) => n.startsWith(DIR_PREFIX)); } catch { return; }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    try {
      const ownerFile = join(dir, 'owner.json');
      if (!existsSync(ownerFile)) {
        if (Date.now() - statSync(dir).mtimeMs > 600_000) rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as { pid: number; start?: string };
      if (procStart(owner.pid) !== undefined && procStart(owner.pid) === owner.start) continue; // owner alive
      const pidFile = join(dir, 'daemon.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      if (pid > 0 && ownedBy(pid, dir)) killAndWaitSync(pid, 'SIGKILL');
    } catch { /* vanished or unreadable: just try removing it */ }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
