// Where one trial's CPU went, per operation: the whole machine, the server under test (lessor
// or the baseline child), Redis, and this process (the load generator, plus the raw side's own
// client work on raw trials). On a 2-core machine that runs all of them, a rate goal is out of
// reach when rate × machine CPU per operation exceeds the cores, whatever the server does; the
// split says whose share would have to shrink.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import type { Child } from './child.js';

/** ms of CPU per operation. `other` is the machine's remainder: PostgreSQL, MariaDB, the kernel. */
export interface CpuSplit {
  machine: number;
  server?: number;
  redis: number;
  loadGenerator: number;
  other: number;
}

interface Snapshot {
  machineMs: number;
  serverMs?: number;
  redisMs: number;
  selfMs: number;
}

/**
 * CPU time all cores spent working, from the first line of /proc/stat: user, nice, system, irq
 * and softirq. Idle and iowait are not work; steal is time a hypervisor gave to someone else.
 */
function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // USER_HZ is 100 on Linux: one tick is 10 ms.
  return (user + nice + system + irq + softirq) * 10;
}

async function redisMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}

function selfMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export class CpuSampler {
  private readonly redis: Redis;

  constructor(redisUrl: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  }

  async snapshot(server: Child | undefined): Promise<Snapshot> {
    return { machineMs: machineBusyMs(), serverMs: server?.cpuMs(), redisMs: await redisMs(this.redis), selfMs: selfMs() };
  }

  /** Per operation between two snapshots (the Redis read itself is a few µs, once per trial). */
  async since(s0: Snapshot, server: Child | undefined, ops: number): Promise<CpuSplit> {
    const s1 = await this.snapshot(server);
    const n = Math.max(1, ops);
    const machine = (s1.machineMs - s0.machineMs) / n;
    const srv = s0.serverMs === undefined || s1.serverMs === undefined ? undefined : (s1.serverMs - s0.serverMs) / n;
    const redis = (s1.redisMs - s0.redisMs) / n;
    const loadGenerator = (s1.selfMs - s0.selfMs) / n;
    return { machine, ...(srv === undefined ? {} : { server: srv }), redis, loadGenerator, other: machine - (srv ?? 0) - redis - loadGenerator };
  }

  close(): void {
    this.redis.disconnect();
  }
}

/** Cores the machine would need to run `perSec` operations at this split. */
export const coresAt = (split: CpuSplit, perSec: number) => (split.machine * perSec) / 1000;

export const machineCores = () => cpus().length;
