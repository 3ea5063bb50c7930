// Real child processes for the consumer e2e tests: the `lessor` CLI from source, the fetch
// script, and a stand-in "app" that records every SIGHUP it receives. Every process started
// here is killed (by its own pid) at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Teardown } from '../helpers/context.js';

const ROOT = join(import.meta.dirname, '..', '..');

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function track(t: Teardown, child: ChildProcess): Proc {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => { out += String(d); });
  child.stderr?.on('data', (d) => { err += String(d); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** `lessor <args>` with tsx; env replaces LESSOR_ and VAULT_ variables of this process. */
export function lessorCli(t: Teardown, args: string[], env: Record<string, string> = {}): Proc {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LESSOR|VAULT)_/.test(k)));
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/consumer/run-cli.ts'), ...args], {
    cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(t, child);
}

export function fetchScript(t: Teardown, args: string[]): Proc {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LESSOR|VAULT)_/.test(k)));
  const child = spawn('/bin/sh', [join(ROOT, 'scripts/lessor-fetch.sh'), ...args], { cwd: ROOT, env: base, stdio: ['ignore', 'pipe', 'pipe'] });
  return track(t, child);
}

/** An app that appends a line to `file` on every SIGHUP; resolves once its handler is installed. */
export async function hupCounter(t: Teardown, file: string): Promise<Proc> {
  const code = `
    const fs = require('node:fs');
    process.on('SIGHUP', () => fs.appendFileSync(${JSON.stringify(file)}, 'hup\\n'));
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1 << 30);`;
  const p = track(t, spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] }));
  await new Promise<void>((resolve, reject) => {
    p.child.stdout!.on('data', () => resolve());
    p.child.once('exit', () => reject(new Error('app exited')));
  });
  return p;
}

export async function countLines(file: string): Promise<number> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
}

/** KEY=value lines as the agent and the fetch script write them (values possibly sh single-quoted). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    let v = line.slice(i + 1);
    if (v.startsWith("'")) v = v.slice(1, -1).replace(/'\\''/g, "'");
    out[line.slice(0, i)] = v;
  }
  return out;
}
