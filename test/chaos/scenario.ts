// One chaos run end to end: its own Redis (AOF) and target PostgreSQL and MariaDB, a config
// store database, N `lessor server` replicas, the workers and probes, the fault schedule; then
// the wait for every lease to have ended and been reaped, the orphan count, and the summary.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPgDatabase, ownRedis, type Teardown } from '../helpers/context.js';
import { faultSchedule, inject } from './faults.js';
import { LessorClient } from './http.js';
import { ENGINES, Ledger, type Engine } from './ledger.js';
import { Prng } from './prng.js';
import { Probes } from './probes.js';
import { logSummary, startReplicas } from './replicas.js';
import { summarize, type ChaosSummary } from './report.js';
import { mariadbTarget, postgresTarget, type Target } from './targets.js';
import { Workers } from './workers.js';

export interface ChaosOptions {
  durationMs: number;
  seed: number;
  replicas: number;
  defaultTtlSec: number;
  maxTtlSec: number;
  /** How long each target is stopped. */
  outageMs: number;
  /** Live leases per engine. */
  slotsPerEngine: number;
  /** Extra creds per engine in the burst a replica dies in. */
  burstSize: number;
  /** Keep the replica logs (their temp dir is printed); otherwise removed at teardown. */
  keepLogs?: boolean;
}

export const FULL_RUN: Omit<ChaosOptions, 'seed'> = {
  durationMs: 600_000, replicas: 3, defaultTtlSec: 15, maxTtlSec: 60, outageMs: 30_000, slotsPerEngine: 12, burstSize: 15,
};

/** Lessor's reaper claim timeout (src/leases/reaper.ts default); a killed replica's claims wait it out. */
const CLAIM_TIMEOUT_MS = 60_000;
const GRACE_MS = 5000;
/** After the last lease could have expired: time for the reapers to finish. */
const FINAL_GRACE_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runChaos(t: Teardown, opts: ChaosOptions, log: (line: string) => void = () => {}): Promise<ChaosSummary> {
  const rng = new Prng(opts.seed);
  const logDir = mkdtempSync(join(tmpdir(), 'lessor-chaos-'));
  if (!opts.keepLogs) t.teardown(() => rm(logDir, { recursive: true, force: true }));
  const ttl = { defaultTtlSec: opts.defaultTtlSec, maxTtlSec: opts.maxTtlSec };
  const setupStart = Date.now();
  const [redis, pgT, myT, configDb] = await Promise.all([ownRedis(t), postgresTarget(t, ttl), mariadbTarget(t, ttl), freshPgDatabase(t)]);
  const targets: Record<Engine, Target> = { pg: pgT, mariadb: myT };
  t.teardown(() => Promise.all(ENGINES.map((e) => targets[e].close())));
  const rootToken = `lsr.${randomBytes(16).toString('hex')}`;
  const replicas = await startReplicas(t, opts.replicas, {
    LESSOR_DATABASE_URL: configDb, LESSOR_REDIS_URL: redis.url(), LESSOR_REDIS_PREFIX: 'chaos',
    LESSOR_MASTER_KEY: randomBytes(32).toString('base64'), LESSOR_ROOT_TOKEN: rootToken, LESSOR_LOG_LEVEL: 'warn',
  }, logDir);
  log(`servers and ${opts.replicas} replicas up in ${((Date.now() - setupStart) / 1000).toFixed(1)}s; replica logs in ${logDir}${opts.keepLogs ? '' : ' (removed at the end)'}`);

  const ledger = new Ledger();
  const client = new LessorClient(replicas, rootToken, ledger, rng.fork());
  for (const e of ENGINES) {
    for (const [path, body] of [[`database/config/${e}`, targets[e].config], [`database/roles/${e}`, targets[e].role]] as const) {
      const a = await client.call('POST', path.replace(/\/[^/]+$/, '/:name'), path, body);
      if (a.kind !== 'ok' || a.status >= 300) throw new Error(`setup ${path}: ${a.kind === 'ok' ? `${a.status} ${JSON.stringify(a.body)}` : a.error}`);
    }
  }
  ledger.statuses.clear(); // setup answers are not part of the run

  const probes = new Probes(targets, ledger, client, rng.fork(), { graceMs: GRACE_MS, claimTimeoutMs: CLAIM_TIMEOUT_MS, pollMs: 200 });
  const workers = new Workers(client, ledger, rng.fork(), {
    slotsPerEngine: opts.slotsPerEngine, defaultTtlSec: opts.defaultTtlSec, maxTtlSec: opts.maxTtlSec,
    probeAt: (lease, at) => probes.probeAt(lease, at),
  });
  const start = Date.now();
  probes.start();
  workers.start();
  log(`${ledger.t()} workers running: ${opts.slotsPerEngine} live leases per engine, ttl ${opts.defaultTtlSec}s, max ttl ${opts.maxTtlSec}s`);

  const repairs: Promise<void>[] = [];
  for (const fault of faultSchedule(opts.durationMs, opts.outageMs, rng)) {
    await sleep(start + fault.at - Date.now());
    repairs.push((await inject(fault, { replicas, redis, targets, workers, burstSize: opts.burstSize }, ledger, rng, log)).repaired);
  }
  await sleep(start + opts.durationMs - Date.now());
  await Promise.all(repairs);
  probes.stopProbing();
  await workers.stop();
  const stoppedAt = Date.now();

  // Every lease (also those whose creds answer died with a replica) ends by its max TTL.
  const lastEnd = Math.max(stoppedAt, ...[...ledger.leases.values()].map((l) => l.upper),
    ...workers.unknownIssues.map((at) => at + opts.maxTtlSec * 1000));
  const deadlines = [...ledger.leases.values()].map((l) => probes.deadline(l));
  const waitUntil = Math.max(lastEnd + FINAL_GRACE_MS, ...deadlines.filter(Number.isFinite));
  log(`${ledger.t()} workers stopped; waiting ${((waitUntil - Date.now()) / 1000).toFixed(0)}s for every lease to end and be reaped`);
  await sleep(waitUntil - Date.now());
  await probes.stop();

  const { orphanDetails, leftLive, overdue } = await countOrphans(ledger, targets, client);
  const header = `lessor chaos: seed ${opts.seed}, ${opts.durationMs / 1000}s, ${opts.replicas} replicas, ttl ${opts.defaultTtlSec}s/${opts.maxTtlSec}s, outages ${opts.outageMs / 1000}s`;
  return summarize(ledger, header, { orphanDetails, leftLive, overdue, replicaLog: logSummary(logDir) });
}

/** Users of lessor's still in a target once every lease has ended, minus those lessor still lists as live. */
async function countOrphans(ledger: Ledger, targets: Record<Engine, Target>, client: LessorClient) {
  const orphanDetails: string[] = [];
  const leftLive: Record<Engine, number> = { pg: 0, mariadb: 0 };
  const overdue: Record<Engine, number> = { pg: 0, mariadb: 0 };
  const byUser = new Map([...ledger.leases.values()].map((l) => [l.username, l]));
  for (const engine of ENGINES) {
    const a = await client.call('LIST', 'sys/leases/lookup/:prefix', `sys/leases/lookup/database/creds/${engine}/?list=true`);
    const keys: string[] = a.kind === 'ok' && a.status === 200 ? a.body.data.keys : [];
    const live = new Set(keys.map((k) => `database/creds/${engine}/${k}`));
    leftLive[engine] = live.size;
    const ours = new Set([...ledger.leases.keys()]);
    overdue[engine] = [...live].filter((id) => (ledger.leases.get(id)?.upper ?? Infinity) < Date.now()).length;
    let unknownLive = [...live].filter((id) => !ours.has(id)).length;
    for (const user of await targets[engine].listUsers()) {
      const lease = byUser.get(user);
      if (lease && live.has(lease.id)) continue;
      if (!lease && unknownLive > 0) { unknownLive--; continue; }
      const detail = lease
        ? `${user}: lease ${lease.id} ${lease.revokedAt ? `revoked at ${ledger.t(lease.revokedAt)}` : `expired at ${ledger.t(lease.upper)}`}, user still there`
        : `${user}: no lease we saw (its creds answer was lost), none live in lessor`;
      orphanDetails.push(`[${engine}] ${detail}`);
      ledger.find({ kind: 'orphan', engine, detail });
    }
  }
  return { orphanDetails, leftLive, overdue };
}
