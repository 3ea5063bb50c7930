// npm run bench -- [--quick] [--runs N] [--only a,b] [--trial-ms N] [--populations 0,1000] [--profile] [--tsx] [--no-build]
//
// Starts PostgreSQL, MariaDB and Redis (the test harness), lessor in a child process
// (createRuntime, as `lessor server`), and runs every workload twice side by side: through
// lessor's HTTP API and as the raw work against the same servers at the same concurrency.
// Prints medians of --runs trials and writes bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { buildChild, RESULTS_DIR, startChild } from './lib/child.js';
import { CpuSampler } from './lib/cpu-split.js';
import { formatCpuTable } from './lib/cpu-table.js';
import { lessorEnv, startServers } from './lib/env.js';
import { Http } from './lib/load.js';
import { formatTable } from './lib/table.js';
import type { BenchCtx, BenchOptions, Row } from './lib/types.js';
import { stopBaseline } from './workloads/apikey.js';
import { WORKLOADS } from './workloads/index.js';

function parseArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = { runs: 3, quick: false, trialMs: 3000, only: [], populations: [0, 1000, 10_000], profile: false, tsx: false, noBuild: false };
  let trialSet = false;
  let runsSet = false;
  let popSet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') opts.quick = true;
    else if (a === '--runs') (opts.runs = Number(next())), (runsSet = true);
    else if (a === '--trial-ms') (opts.trialMs = Number(next())), (trialSet = true);
    else if (a === '--only') opts.only.push(...next().split(',').filter(Boolean));
    else if (a === '--populations') (opts.populations = next().split(',').map(Number)), (popSet = true);
    else if (a === '--profile') opts.profile = true;
    else if (a === '--tsx') opts.tsx = true;
    else if (a === '--no-build') opts.noBuild = true;
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [--quick] [--runs N] [--only ${WORKLOADS.map((w) => w.name).join(',')}] [--trial-ms N] [--populations 0,1000,10000] [--profile] [--tsx] [--no-build]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (opts.quick) {
    if (!runsSet) opts.runs = 1;
    if (!trialSet) opts.trialMs = 1000;
    if (!popSet) opts.populations = [0];
  }
  for (const name of opts.only) {
    if (!WORKLOADS.some((w) => w.name === name)) throw new Error(`unknown workload ${name}: one of ${WORKLOADS.map((w) => w.name).join(', ')}`);
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = new Date();
  log(`lessor bench: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; runs ${opts.runs}, trial ${opts.trialMs} ms`);
  const how = opts.tsx ? 'tsx' : buildChild(log, opts.noBuild);
  const servers = await startServers(log);
  const rows: Row[] = [];
  try {
    const env = lessorEnv(servers);
    const lessor = await startChild('lessor', { env });
    log(`lessor listening on ${lessor.base} (child process ${lessor.pid}, ${how}; load generator and raw side in this process)`);
    const admin = new Http(lessor.base, 4, env.LESSOR_ROOT_TOKEN);
    const token = await benchToken(admin);
    const cpu = new CpuSampler(servers.redis.url());
    const ctx: BenchCtx = { servers, lessor, admin, token, env, server: how, opts, cpu, log };
    try {
      for (const w of WORKLOADS) {
        if (opts.only.length > 0 && !opts.only.includes(w.name)) continue;
        log(`— ${w.name}`);
        try {
          rows.push(...(await w.run(ctx)));
        } catch (err) {
          log(`${w.name} failed: ${err instanceof Error ? err.stack : String(err)}`);
          rows.push({ workload: w.name, case: '-', note: `failed: ${err instanceof Error ? err.message : String(err)}` });
        }
        // A long run interrupted still leaves what it measured so far.
        process.stderr.write(`${formatTable(rows)}\n`);
      }
    } finally {
      cpu.close();
      await admin.close();
      await lessor.stop();
      await stopBaseline();
    }
  } finally {
    await servers.stop();
  }
  flatness(rows);
  const table = formatTable(rows);
  const cpuTable = formatCpuTable(rows);
  process.stdout.write(`\n${table}\n\n${cpuTable}\n`);
  const out = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cores: cpus().length, model: cpus()[0]?.model, node: process.version },
    options: opts,
    server: how,
    rows: rows.map(({ lessor, raw, ...r }) => ({ ...r, lessor: lessor && strip(lessor), raw: raw && strip(raw) })),
    table,
    cpuTable,
  };
  writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(out, null, 2));
  log(`wrote bench/results/latest.json${opts.profile ? ` and CPU profiles in bench/results/profiles/` : ''}`);
}

/**
 * Cost must stay flat as the live population grows: each row measured on a population gets its
 * lessor rate relative to the same case on no population (goal ≥ 0.9×).
 */
function flatness(rows: Row[]): void {
  for (const r of rows) {
    if (!r.population || !r.lessor || r.workload === 'cold-start' || r.workload === 'lease-renew') continue;
    const base = rows.find((b) => b.workload === r.workload && b.case === r.case && b.concurrency === r.concurrency && b.population === 0 && b.lessor);
    if (!base?.lessor) continue;
    const rel = r.lessor.perSec / base.lessor.perSec;
    r.extra = { ...r.extra, 'vs live=0': rel };
    if (r.goal === undefined) {
      r.goal = '≥ 0.9× its rate at live=0';
      r.met = rel >= 0.9;
    }
  }
}

const strip = ({ trials, ...s }: NonNullable<Row['lessor']>) => ({ ...s, trials: trials.map((t) => ({ ...t })) });

/** A non-root token with the policy a service would hold: the measured requests use it. */
async function benchToken(admin: Http): Promise<string> {
  const policy = {
    path: {
      'database/creds/*': { capabilities: ['read', 'update'] },
      'apikey/creds/*': { capabilities: ['read', 'update'] },
      'apikey/verify': { capabilities: ['update'] },
      'sys/leases/renew': { capabilities: ['update'] },
      'sys/leases/revoke': { capabilities: ['update'] },
    },
  };
  await admin.ok('PUT', 'sys/policies/acl/bench', { policy: JSON.stringify(policy) });
  const r = await admin.ok('POST', 'auth/token/create', { policies: ['bench'], ttl: '24h', display_name: 'bench' });
  return r.auth.client_token as string;
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
