import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';

export interface NotifyOptions {
  execOnChange?: string;
  signal?: NodeJS.Signals;
  pid?: number;
  pidFile?: string;
  /** Changes closer together than this become one notification (several secrets rotating at once). */
  debounceMs?: number;
}

/**
 * Tells the app that its credentials changed: runs --exec-on-change and/or signals --pid.
 * Debounced, and never two commands at once: a change during a run queues exactly one more.
 */
export class Notifier {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Notifications delivered so far (for metrics and tests). */
  count = 0;

  constructor(private readonly opts: NotifyOptions, private readonly log: Logger) {}

  get enabled(): boolean {
    return Boolean(this.opts.execOnChange || this.opts.signal);
  }

  changed(): void {
    if (!this.enabled) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.opts.debounceMs ?? 200);
  }

  /** Waits for a pending or running notification (used before exiting). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.fire();
    }
    while (this.running) await this.running;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliver().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.fire();
      }
    });
  }

  private async deliver(): Promise<void> {
    this.count++;
    if (this.opts.signal) await this.sendSignal(this.opts.signal);
    if (this.opts.execOnChange) await this.exec(this.opts.execOnChange);
  }

  private async sendSignal(signal: NodeJS.Signals): Promise<void> {
    let pid = this.opts.pid;
    try {
      // Re-read every time: the app may have restarted with a new pid.
      if (pid === undefined && this.opts.pidFile) pid = Number((await readFile(this.opts.pidFile, 'utf8')).trim());
      if (!pid || !Number.isInteger(pid)) throw new Error('no valid pid');
      process.kill(pid, signal);
      this.log.info({ pid, signal }, 'app signalled');
    } catch (err) {
      this.log.warn({ pid, signal, err: (err as Error).message }, 'could not signal app');
    }
  }

  private exec(command: string): Promise<void> {
    return new Promise((resolve) => {
      // The command is the operator's; its own output goes where the agent's does.
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', (err) => {
        this.log.warn({ err: err.message }, 'change command failed to start');
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (code === 0) this.log.info('change command ran');
        else this.log.warn({ code, signal }, 'change command failed');
        resolve();
      });
    });
  }
}
