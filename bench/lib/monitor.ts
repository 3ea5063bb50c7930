// Which Redis commands lessor sends for one request: MONITOR around it, with the reaper paused
// so its polling does not join the count. Printed in the log next to the figures, so a change
// in a request's round trips shows up without a profiler.
import { Redis } from 'ioredis';
import type { BenchCtx } from './types.js';

async function watchOnce(ctx: BenchCtx, request: () => Promise<unknown>): Promise<string[]> {
  await ctx.lessor.command('reaper-stop');
  const base = new Redis(ctx.servers.redis.url());
  const mon = await base.monitor();
  const cmds: string[] = [];
  // Commands a Lua script runs show up with source "lua": they are part of one EVALSHA.
  mon.on('monitor', (_t: string, args: string[], source: string) => {
    if (source !== 'lua') cmds.push(args[0].toUpperCase());
  });
  try {
    await new Promise((r) => setTimeout(r, 100));
    await request();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    mon.disconnect();
    base.disconnect();
    await ctx.lessor.command('reaper-start');
  }
  return cmds;
}

/**
 * Twice, keeping the shorter: the token expiry sweep (every 5 s) can fall inside one window and
 * add its own commands. `request(i)` gets 0, then 1.
 */
export async function redisCommandsOf(ctx: BenchCtx, request: (i: number) => Promise<unknown>): Promise<string[]> {
  const watched = [await watchOnce(ctx, () => request(0)), await watchOnce(ctx, () => request(1))];
  return watched.reduce((a, b) => (b.length < a.length ? b : a));
}
