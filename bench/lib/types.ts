import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, type Child } from './child.js';
import type { BenchServers } from './env.js';
import { median, type Http, type Trial } from './load.js';

export interface BenchOptions {
  runs: number;
  quick: boolean;
  /** Length of one timed trial (ms). */
  trialMs: number;
  /** Workload names to run (all when empty). */
  only: string[];
  /** Live-credential populations for the database workloads. */
  populations: number[];
  /** Write a CPU profile of the lessor child to bench/results/profiles/. */
  profile: boolean;
  /** Run the server through tsx instead of compiling it first. */
  tsx: boolean;
  /** Reuse the last compiled server in bench/results/build. */
  noBuild: boolean;
}

export interface BenchCtx {
  servers: BenchServers;
  lessor: Child;
  /** Root token client: setup only. */
  admin: Http;
  /** A token with the bench policy (what a service would hold): the measured requests use it. */
  token: string;
  env: Record<string, string>;
  /** How the server runs: compiled JavaScript or tsx. */
  server: string;
  opts: BenchOptions;
  log(line: string): void;
}

/** Medians of several trials of one side. */
export interface Side {
  perSec: number;
  p50: number;
  p99: number;
  errors: number;
  ops: number;
  /** lessor side: median CPU time of the lessor process per operation (ms). */
  cpuMsPerOp?: number;
  trials: Trial[];
}

export interface Row {
  workload: string;
  case: string;
  concurrency?: number;
  population?: number;
  lessor?: Side;
  raw?: Side;
  /** lessor/raw throughput (or the ratio the goal is stated in). */
  ratio?: number;
  goal?: string;
  met?: boolean;
  note?: string;
  /** Extra figures (drain lag, RSS, start times, …). */
  extra?: Record<string, number | string>;
}

export function side(trials: Trial[]): Side {
  return {
    perSec: median(trials.map((t) => t.perSec)),
    p50: median(trials.map((t) => t.p50)),
    p99: median(trials.map((t) => t.p99)),
    errors: trials.reduce((n, t) => n + t.errors, 0),
    ops: trials.reduce((n, t) => n + t.ops, 0),
    ...(trials.some((t) => t.cpuMsPerOp !== undefined) ? { cpuMsPerOp: median(trials.map((t) => t.cpuMsPerOp ?? NaN)) } : {}),
    trials,
  };
}

/** With --profile, a CPU profile of the lessor child covering just this trial. */
export async function profiled<T>(ctx: BenchCtx, label: string, fn: () => Promise<T>): Promise<T> {
  if (!ctx.opts.profile) return fn();
  return profiledInner(ctx, label, fn);
}

/** Runs a lessor trial and adds the lessor process's CPU time per operation. */
async function measured(ctx: BenchCtx, label: string, fn: () => Promise<Trial>): Promise<Trial> {
  const cpu0 = ctx.lessor.cpuMs();
  const t = await profiled(ctx, label, fn);
  t.cpuMsPerOp = (ctx.lessor.cpuMs() - cpu0) / Math.max(1, t.ops + t.errors + (t.warmupOps ?? 0));
  return t;
}

async function profiledInner<T>(ctx: BenchCtx, label: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(join(RESULTS_DIR, 'profiles'), { recursive: true });
  const file = join(RESULTS_DIR, 'profiles', `${label.replace(/[^A-Za-z0-9=.-]+/g, '_')}.cpuprofile`);
  await ctx.lessor.command('profile-start');
  try {
    return await fn();
  } finally {
    await ctx.lessor.command('profile-stop', { file });
  }
}

/** Runs lessor and raw trials alternately (so drift in machine load hits both), then medians. */
export async function paired(
  ctx: BenchCtx,
  label: string,
  lessor: () => Promise<Trial>,
  raw: () => Promise<Trial>,
  between: () => Promise<void> = async () => {},
): Promise<{ lessor: Side; raw: Side }> {
  const l: Trial[] = [];
  const r: Trial[] = [];
  for (let i = 0; i < ctx.opts.runs; i++) {
    // Alternate who goes first, so neither side always runs on a cooler (or hotter) machine.
    const order = i % 2 === 0 ? (['lessor', 'raw'] as const) : (['raw', 'lessor'] as const);
    for (const who of order) {
      const t = who === 'lessor' ? await measured(ctx, `${label} run ${i + 1}`, lessor) : await raw();
      (who === 'lessor' ? l : r).push(t);
      ctx.log(`  ${label} run ${i + 1} ${who}: ${t.perSec.toFixed(1)}/s p50 ${t.p50.toFixed(2)} ms p99 ${t.p99.toFixed(2)} ms${t.cpuMsPerOp !== undefined ? ` (lessor CPU ${t.cpuMsPerOp.toFixed(2)} ms/op)` : ''}${t.errors ? ` errors ${t.errors} (${t.firstError})` : ''}`);
      await between();
    }
  }
  return { lessor: side(l), raw: side(r) };
}
