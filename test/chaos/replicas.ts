// `lessor server` replicas as real child processes (the built CLI in dist/, as operators run
// it), all on one config store and one Redis, each on its own port. kill9() is the crash the
// chaos run injects; start() brings a replica back on the same port.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Teardown } from '../helpers/context.js';
import { freePort, waitUntil } from '../helpers/proc.js';
import type { ReplicaEndpoint } from './http.js';

/** LESSOR_CHAOS_BIN runs another build instead (e.g. an older commit's, to see the run catch its bugs). */
const BIN = process.env.LESSOR_CHAOS_BIN ?? join(import.meta.dirname, '..', '..', 'bin', 'lessor.js');

export class Replica implements ReplicaEndpoint {
  up = false;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly name: string, readonly port: number, private readonly env: Record<string, string>, readonly logFile: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // Only our own settings: a LESSOR_ or VAULT_ variable of the caller must not leak in.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LESSOR|VAULT)_/.test(k)));
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(process.execPath, [BIN, 'server'], {
        env: { ...base, ...this.env, LESSOR_LISTEN: `127.0.0.1:${this.port}` }, stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    let died: string | undefined;
    this.exited = new Promise((resolve) => child.once('exit', (code, sig) => {
      died = `exited (code ${code}, signal ${sig}); log: ${this.logFile}`;
      this.up = false;
      resolve();
    }));
    await waitUntil(`${this.name} on :${this.port}`, 60_000, async () => {
      const res = await fetch(`${this.url}/v1/sys/health`, { signal: AbortSignal.timeout(2000) });
      return res.status === 200;
    }, () => died);
    this.up = true;
  }

  /** SIGKILL, resolved once the process is gone. */
  async kill9(): Promise<void> {
    this.up = false;
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    this.up = false;
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

export async function startReplicas(t: Teardown, count: number, env: Record<string, string>, logDir: string): Promise<Replica[]> {
  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++) {
    const r = new Replica(`replica ${i + 1}`, await freePort(), env, join(logDir, `replica-${i + 1}.log`));
    t.teardown(() => r.stop());
    replicas.push(r);
  }
  // The first one migrates the empty config store; the others then start side by side.
  await replicas[0].start();
  await Promise.all(replicas.slice(1).map((r) => r.start()));
  return replicas;
}

/** Warnings and errors the replicas logged, counted by level and message: what lessor itself saw go wrong. */
export function logSummary(logDir: string): string[] {
  const counts = new Map<string, number>();
  for (const file of readdirSync(logDir).filter((f) => f.endsWith('.log'))) {
    for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
      let rec: { level?: number; msg?: string; err?: { message?: string } };
      try {
        rec = JSON.parse(line);
      } catch {
        continue;
      }
      if ((rec.level ?? 0) < 40) continue;
      const key = `${rec.level === 40 ? 'warn ' : 'error'} ${rec.msg ?? ''}${rec.err?.message ? `: ${rec.err.message}` : ''}`.slice(0, 160);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(5)}  ${k}`);
}
