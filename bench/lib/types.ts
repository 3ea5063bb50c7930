import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, type Child } from './child.js';
import type { BenchServers } from './env.js';
import type { CpuSampler, CpuSplit } from './cpu-split.js';
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
  /** Machine, server, Redis and load-generator CPU around each trial. */
  cpu: CpuSampler;
  log(line: string): void;
}

/** Medians of several trials of one side. */
export interface Side {
  perSec: number;
  p50: number;
  p99: number;
  errors: number;
  ops: number;
  /** Medians of the trials' CPU per operation, split by process (`server` on the lessor side is lessor's own). */
  cpu?: CpuSplit;
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
  /** The throughput the goal asks of lessor (ops/s), where it asks for one. */
  goalRate?: number;
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
    ...(trials.every((t) => t.cpu) ? { cpu: medianSplit(trials.map((t) => t.cpu!)) } : {}),
    trials,
  };
}

function medianSplit(splits: CpuSplit[]): CpuSplit {
  const m = (f: (c: CpuSplit) => number | undefined) => median(splits.map((c) => f(c) ?? NaN));
  const server = m((c) => c.server);
  return { machine: m((c) => c.machine), ...(Number.isFinite(server) ? { server } : {}), redis: m((c) => c.redis), loadGenerator: m((c) => c.loadGenerator), other: m((c) => c.other) };
}

/** With --profile, a CPU profile of the lessor child covering just this trial. */
export async function profiled<T>(ctx: BenchCtx, label: string, fn: () => Promise<T>): Promise<T> {
  if (!ctx.opts.profile) return fn();
  return profiledInner(ctx, label, fn);
}

/**
 * Runs one trial and adds the CPU it cost per operation, split by process; `server` is the
 * process that answered (lessor's child, or the baseline child behind a floor or ceiling).
 */
async function measured(ctx: BenchCtx, fn: () => Promise<Trial>, server: Child | undefined): Promise<Trial> {
  const s0 = await ctx.cpu.snapshot(server);
  const t = await fn();
  t.cpu = await ctx.cpu.since(s0, server, t.ops + t.errors + (t.warmupOps ?? 0));
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

export interface PairedOptions {
  /** Run after every trial (dropping what it created, say). */
  between?: () => Promise<void>;
  /** The process answering the raw side, when it is one (the baseline child). */
  rawServer?: Child;
}

/** Runs lessor and raw trials alternately (so drift in machine load hits both), then medians. */
export async function paired(
  ctx: BenchCtx,
  label: string,
  lessor: () => Promise<Trial>,
  raw: () => Promise<Trial>,
  opts: PairedOptions = {},
): Promise<{ lessor: Side; raw: Side }> {
  const between = opts.between ?? (async () => {});
  const l: Trial[] = [];
  const r: Trial[] = [];
  for (let i = 0; i < ctx.opts.runs; i++) {
    // Alternate who goes first, so neither side always runs on a cooler (or hotter) machine.
    const order = i % 2 === 0 ? (['lessor', 'raw'] as const) : (['raw', 'lessor'] as const);
    for (const who of order) {
      const t = who === 'lessor'
        ? await measured(ctx, () => profiled(ctx, `${label} run ${i + 1}`, lessor), ctx.lessor)
        : await measured(ctx, raw, opts.rawServer);
      (who === 'lessor' ? l : r).push(t);
      ctx.log(`  ${label} run ${i + 1} ${who}: ${t.perSec.toFixed(1)}/s p50 ${t.p50.toFixed(2)} ms p99 ${t.p99.toFixed(2)} ms${who === 'lessor' && t.cpu?.server !== undefined ? ` (lessor CPU ${t.cpu.server.toFixed(2)} ms/op)` : ''}${t.cpu ? ` [machine CPU ${t.cpu.machine.toFixed(3)} ms/op]` : ''}${t.errors ? ` errors ${t.errors} (${t.firstError})` : ''}`);
      await between();
    }
  }
  return { lessor: side(l), raw: side(r) };
}
