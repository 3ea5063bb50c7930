// Credential issue: `GET database/creds/<role>` through lessor vs the role's creation
// statements sent straight to the same server, at the same concurrency.
import { randomBytes } from 'node:crypto';
import { Http, runLoad } from '../lib/load.js';
import { redisCommandsOf } from '../lib/monitor.js';
import { configureLessor, dropTrialUsers, lessorRole, populate, rawTarget, type Kind, type Shape, type Variant } from '../lib/targets.js';
import { paired, type BenchCtx, type Row } from '../lib/types.js';

/** Per-table GRANTs fail outright ("row is too big") at about 2,444 grantees of one table. */
const GRANT20_LIMIT = 2000;

export async function dbCreds(ctx: BenchCtx, kind: Kind): Promise<Row[]> {
  const workload = kind === 'pg' ? 'pg-creds' : 'mariadb-creds';
  if (kind === 'mariadb' && !ctx.servers.mariadb) {
    return [{ workload, case: '-', note: `not available: MariaDB did not start (${ctx.servers.mariadbError})` }];
  }
  await configureLessor(ctx.admin, ctx.servers, kind);
  const rows: Row[] = [];
  // The goals are stated at 16; PostgreSQL also at 1 and 4 to show the curve.
  const concurrencies = ctx.opts.quick || kind === 'mariadb' ? [1, 16] : [1, 4, 16];
  // lessor's own SCRAM verifiers only for the group-role shape: per-table GRANTs are bound by
  // ACL rewrites, not by the password hash.
  const cases: [Shape, Variant][] = kind === 'pg' ? [['inrole', 'plain'], ['inrole', 'scram16'], ['grant20', 'plain']] : [['inrole', 'plain'], ['grant20', 'plain']];
  for (const [shape, variant] of cases) {
    for (const population of ctx.opts.populations) {
      // MariaDB's per-table shape on a population is left out to keep a full run short.
      if (shape === 'grant20' && (population > GRANT20_LIMIT || (kind === 'mariadb' && population > 0))) {
        rows.push({
          workload, case: shape, population,
          note: kind === 'pg'
            ? 'skipped: per-table GRANT fails with "row is too big" at ~2,444 grantees per table (DESIGN.md)'
            : 'skipped: not measured (keeps a full run short; the PostgreSQL rows show the effect)',
        });
        continue;
      }
      await populate(ctx.servers, kind, shape, population, ctx.log);
      for (const concurrency of population === 0 ? concurrencies : [16]) {
        rows.push(await oneCase(ctx, kind, shape, variant, population, concurrency, workload));
      }
    }
  }
  await populate(ctx.servers, kind, 'inrole', 0, ctx.log);
  return rows;
}

async function oneCase(ctx: BenchCtx, kind: Kind, shape: Shape, variant: Variant, population: number, concurrency: number, workload: string): Promise<Row> {
  const caseName = variant === 'plain' ? shape : `${shape}, lessor's verifiers (scram_iterations 16)`;
  const label = `${workload} ${caseName} c=${concurrency} live=${population}`;
  ctx.log(label);
  const http = new Http(ctx.lessor.base, concurrency, ctx.token);
  const raw = rawTarget(ctx.servers, kind, shape, concurrency);
  const path = `database/creds/${lessorRole(kind, shape, variant)}`;
  const tag = randomBytes(3).toString('hex');
  const warmupMs = Math.min(1000, ctx.opts.trialMs / 4);
  try {
    // Once per case (the population and concurrency do not change what one request sends).
    const seen = population === 0 && concurrency === 1
      ? await redisCommandsOf(ctx, () => http.ok('GET', path))
      : undefined;
    if (seen) ctx.log(`  one lessor credential sends ${seen.length} Redis commands: ${seen.join(' ')}`);
    const res = await paired(ctx, label,
      () => runLoad(async () => {
        const r = await http.call('GET', path);
        if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs }),
      () => runLoad((i) => raw.create(`raw_${tag}_${i}_${randomBytes(4).toString('hex')}`), { concurrency, durationMs: ctx.opts.trialMs, warmupMs }),
      // Every trial starts from the same population: what a trial created is dropped again.
      { between: () => dropTrialUsers(ctx.servers, kind) },
    );
    const ratio = res.lessor.perSec / res.raw.perSec;
    const row: Row = { workload, case: caseName, concurrency, population, ...res, ratio };
    if (concurrency === 16 && population === 0) {
      if (kind === 'pg') {
        // Past the raw baseline: issue's 1.5×, on top of the 0.9× that holds for every shape.
        const want = variant === 'plain' ? 0.9 : 1.5;
        row.goal = `ratio ≥ ${want}, p99 < 50 ms`;
        row.met = ratio >= want && res.lessor.p99 < 50;
      } else {
        row.goal = 'ratio ≥ 0.9';
        row.met = ratio >= 0.9;
      }
    }
    return row;
  } finally {
    await http.close();
    await raw.close();
  }
}
