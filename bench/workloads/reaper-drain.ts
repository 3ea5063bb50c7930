// Reaper drain: N PostgreSQL credentials (group-role shape) issued through lessor, all made due
// at the same instant (revoke-prefix: every lease's due time becomes now, exactly what a common
// expiry does), then drained by the reaper. The raw side revokes the same number of users of the
// same shape with the statements lessor's default revocation sends, one transaction per lease, at
// the reaper's concurrency. Reaper lag: how long after becoming due a credential was gone
// (p50/p99 from the count of users left, sampled every 50 ms).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_REAPER_OPTIONS } from '../../src/leases/reaper.js';
import { Http, median, percentile, runLoad, type Trial } from '../lib/load.js';
import { configureLessor, dropUsers, lessorConfig, populate, rawTarget, SHAPES, trialUsers } from '../lib/targets.js';
import { side, type BenchCtx, type Row } from '../lib/types.js';

const SHAPE = 'inrole' as const;
/**
 * A role of its own: revoke-prefix makes every lease under it due, and the creds workloads leave
 * thousands of live leases under theirs (their users already dropped), which would be drained too.
 */
const DRAIN_ROLE = 'pg-drain';

async function countUsers(c: pg.Client, like: string): Promise<number> {
  return Number((await c.query('SELECT count(*) AS n FROM pg_roles WHERE rolname LIKE $1', [like])).rows[0].n);
}

/** Polls the number of users left until none; returns per-user "gone at" times (ms after t0). */
async function watchDrain(ctx: BenchCtx, like: string, n: number, t0: number, timeoutMs: number): Promise<number[]> {
  const c = new pg.Client({ connectionString: ctx.servers.pgTarget });
  await c.connect();
  const goneAt: number[] = [];
  try {
    for (;;) {
      const left = await countUsers(c, like);
      const now = performance.now() - t0;
      while (goneAt.length < n - left) goneAt.push(now);
      if (left === 0) return goneAt;
      if (now > timeoutMs) throw new Error(`drain not finished after ${timeoutMs / 1000} s: ${left} of ${n} users left`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await c.end();
  }
}

async function lessorDrain(ctx: BenchCtx, n: number): Promise<{ trial: Trial; lagP50: number; lagP99: number }> {
  const role = DRAIN_ROLE;
  const http = new Http(ctx.lessor.base, 16, ctx.token);
  const t0i = performance.now();
  try {
    const issued = await runLoad(async () => {
      const r = await http.call('GET', `database/creds/${role}`);
      if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }, { concurrency: 16, count: n });
    if (issued.errors) throw new Error(`issuing: ${issued.firstError}`);
  } finally {
    await http.close();
  }
  ctx.log(`  issued ${n} credentials through lessor in ${((performance.now() - t0i) / 1000).toFixed(1)} s`);
  // Make them all due at once, then time the reaper.
  await ctx.lessor.command('reaper-stop');
  await ctx.admin.ok('POST', `sys/leases/revoke-prefix/database/creds/${role}`, {});
  const t0 = performance.now();
  await ctx.lessor.command('reaper-start');
  const gone = await watchDrain(ctx, 'v-%', n, t0, 30 * 60_000);
  const seconds = gone[gone.length - 1] / 1000;
  return {
    trial: { ops: n, errors: 0, seconds, perSec: n / seconds, p50: NaN, p99: NaN },
    lagP50: percentile(gone, 50),
    lagP99: percentile(gone, 99),
  };
}

async function rawDrain(ctx: BenchCtx, n: number): Promise<Trial> {
  const tag = randomBytes(3).toString('hex');
  const names = Array.from({ length: n }, (_, i) => `raw_d${tag}_${i}`);
  // Created in bulk (not timed); only the revocations are the measured work.
  const c = new pg.Client({ connectionString: ctx.servers.pgTarget });
  await c.connect();
  try {
    const exp = new Date(Date.now() + 3600_000).toISOString();
    for (let i = 0; i < n; i += 250) {
      const stmts = names.slice(i, i + 250).map((name) => SHAPES.pg[SHAPE][0].replaceAll('{{name}}', name).replaceAll('{{password}}', randomBytes(12).toString('hex')).replaceAll('{{expiration}}', exp));
      await c.query(`BEGIN; ${stmts.join(';\n')}; COMMIT`);
    }
  } finally {
    await c.end();
  }
  const concurrency = DEFAULT_REAPER_OPTIONS.concurrencyPerConfig;
  const raw = rawTarget(ctx.servers, 'pg', SHAPE, concurrency);
  try {
    return await runLoad((i) => raw.revoke(names[i]), { concurrency, count: n });
  } finally {
    await raw.close();
  }
}

async function drainCase(ctx: BenchCtx, n: number, population: number, runs: number, headline = false): Promise<Row> {
  await populate(ctx.servers, 'pg', SHAPE, population, ctx.log);
  await dropUsers(ctx.servers, 'pg', await trialUsers(ctx.servers, 'pg'));
  const label = `reaper-drain ${n} live=${population}`;
  ctx.log(label);
  const l: Trial[] = [];
  const r: Trial[] = [];
  const lag50: number[] = [];
  const lag99: number[] = [];
  for (let i = 0; i < runs; i++) {
    const ld = await lessorDrain(ctx, n);
    l.push(ld.trial);
    lag50.push(ld.lagP50);
    lag99.push(ld.lagP99);
    ctx.log(`  ${label} run ${i + 1} lessor: ${ld.trial.perSec.toFixed(1)}/s (${ld.trial.seconds.toFixed(1)} s), lag p50 ${(ld.lagP50 / 1000).toFixed(1)} s p99 ${(ld.lagP99 / 1000).toFixed(1)} s`);
    const rd = await rawDrain(ctx, n);
    r.push(rd);
    ctx.log(`  ${label} run ${i + 1} raw: ${rd.perSec.toFixed(1)}/s (${rd.seconds.toFixed(1)} s)${rd.errors ? ` errors ${rd.errors} (${rd.firstError})` : ''}`);
  }
  const lessor = side(l);
  const raw = side(r);
  const ratio = lessor.perSec / raw.perSec;
  return {
    workload: 'reaper-drain', case: `${n} due at once`, concurrency: DEFAULT_REAPER_OPTIONS.concurrencyPerConfig, population,
    lessor, raw, ratio, extra: { 'lag p50 s': median(lag50) / 1000, 'lag p99 s': median(lag99) / 1000 },
    // 0.8: lessor's bookkeeping costs little; 2 (the 10,000 headline): grouped revocation beats
    // one transaction per user.
    ...(headline ? { goal: 'drain ratio ≥ 0.8, grouped ≥ 2', met: ratio >= 2 } : population === 0 ? { goal: 'drain ratio ≥ 0.8', met: ratio >= 0.8 } : {}),
  };
}

export async function reaperDrain(ctx: BenchCtx): Promise<Row[]> {
  await configureLessor(ctx.admin, ctx.servers, 'pg');
  // On the config with lessor's own verifiers only to make setup quicker: how a password is
  // stored does not change what revoking its user costs.
  await ctx.admin.ok('POST', `database/roles/${DRAIN_ROLE}`, {
    db_name: lessorConfig('pg', 'scram16'), creation_statements: SHAPES.pg[SHAPE], default_ttl: '2h', max_ttl: '24h',
  });
  const rows: Row[] = [];
  // The headline: 10,000 leases due in the same instant (one run: it is 10,000 revocations a side).
  const big = ctx.opts.quick ? 300 : 10_000;
  rows.push(await drainCase(ctx, big, 0, 1, true));
  // Flat with the population: a smaller drain on 0, 1,000 and 10,000 other live users.
  const small = ctx.opts.quick ? 100 : 1000;
  for (const population of ctx.opts.populations) rows.push(await drainCase(ctx, small, population, Math.min(ctx.opts.runs, 3)));
  await populate(ctx.servers, 'pg', SHAPE, 0, ctx.log);
  return rows;
}
