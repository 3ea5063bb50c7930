// Closed-loop load: `concurrency` workers, each starting its next operation as soon as the
// previous one answers, for a fixed time or a fixed number of operations. Every latency is kept
// (a few hundred thousand doubles at most), so percentiles are exact.
import { Pool } from 'undici';
import type { CpuSplit } from './cpu-split.js';

export interface Trial {
  ops: number;
  errors: number;
  seconds: number;
  perSec: number;
  p50: number;
  p99: number;
  firstError?: string;
  /** CPU per operation by process, machine-wide (bench/lib/cpu-split.ts). */
  cpu?: CpuSplit;
  /** Operations run unmeasured before the trial. */
  warmupOps?: number;
}

export interface LoadOptions {
  concurrency: number;
  /** Stop starting operations after this long (ms). */
  durationMs?: number;
  /** Or after this many operations in all. */
  count?: number;
  /** Run unmeasured for this long first (ms). */
  warmupMs?: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** op(i) gets a global sequence number; it throws (or rejects) to count an error. */
export async function runLoad(op: (i: number) => Promise<unknown>, o: LoadOptions): Promise<Trial> {
  const warm = o.warmupMs ? await runLoad(op, { concurrency: o.concurrency, durationMs: o.warmupMs }) : undefined;
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let seq = 0;
  const t0 = performance.now();
  const deadline = o.durationMs !== undefined ? t0 + o.durationMs : Infinity;
  const limit = o.count ?? Infinity;
  const worker = async () => {
    for (;;) {
      if (seq >= limit || performance.now() >= deadline) return;
      const i = seq++;
      const s = performance.now();
      try {
        await op(i);
        lat.push(performance.now() - s);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const sorted = Float64Array.from(lat).sort();
  return {
    ops: lat.length, errors, seconds, perSec: lat.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), firstError,
    warmupOps: warm ? warm.ops + warm.errors : 0,
  };
}

export interface HttpAnswer {
  status: number;
  body: any;
}

/** Keep-alive connections to one server, as many as the concurrency. */
export class Http {
  readonly pool: Pool;
  constructor(readonly base: string, connections: number, private readonly token?: string) {
    this.pool = new Pool(base, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async call(method: string, path: string, body?: unknown, token = this.token): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (token) headers['x-vault-token'] = token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.pool.request({
      method: method as 'GET', path: path.startsWith('/') ? path : `/v1/${path}`, headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.statusCode, body: parsed };
  }

  /** Like call, but anything other than 2xx throws with the server's message. */
  async ok(method: string, path: string, body?: unknown, token?: string): Promise<any> {
    const r = await this.call(method, path, body, token);
    if (r.status < 200 || r.status > 299) {
      const msg = Array.isArray(r.body?.errors) ? r.body.errors.join('; ') : JSON.stringify(r.body)?.slice(0, 300);
      throw new Error(`${method} ${path}: ${r.status} ${msg}`);
    }
    return r.body;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
