// The fault schedule (seeded: the same seed gives the same times) and the injections:
// kill -9 of a replica in the middle of a creds burst, kill -9 of Redis, and each target
// database stopped for a while. Each injection records its window in the ledger: from the
// fault until the server is back and answering.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerHandle } from '../helpers/servers.js';
import type { Engine, FaultKind, FaultWindow, Ledger } from './ledger.js';
import type { Prng } from './prng.js';
import type { Replica } from './replicas.js';
import type { Target } from './targets.js';
import type { Workers } from './workers.js';

export interface PlannedFault {
  kind: FaultKind;
  /** ms after the workers started. */
  at: number;
  /** How long the fault lasts before the repair starts. */
  forMs: number;
}

export function faultSchedule(durationMs: number, outageMs: number, rng: Prng): PlannedFault[] {
  // Spread over the run with quiet stretches between; a little seeded jitter on each.
  const at = (fraction: number) => Math.round((fraction + rng.between(-0.02, 0.02)) * durationMs);
  return [
    { kind: 'replica-kill', at: at(0.18), forMs: 3000 },
    { kind: 'redis-kill', at: at(0.34), forMs: 2000 },
    { kind: 'pg-down', at: at(0.48), forMs: outageMs },
    { kind: 'mariadb-down', at: at(0.7), forMs: outageMs },
  ];
}

export interface FaultTargets {
  replicas: Replica[];
  redis: ServerHandle;
  targets: Record<Engine, Target>;
  workers: Workers;
  burstSize: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Injects the fault and resolves; the returned `repaired` resolves once the server is back, so
 * a slow restart (a replica starting on a busy machine) does not push the rest of the schedule.
 */
export async function inject(fault: PlannedFault, on: FaultTargets, ledger: Ledger, rng: Prng,
  log: (line: string) => void): Promise<{ repaired: Promise<void> }> {
  const repair = async (w: FaultWindow, what: string, restart: () => Promise<void>) => {
    await sleep(fault.forMs);
    await restart();
    w.end = Date.now();
    log(`${ledger.t()} ${what} back`);
  };
  switch (fault.kind) {
    case 'replica-kill': {
      const victim = rng.pick(on.replicas);
      on.workers.burst(on.burstSize);
      await sleep(rng.int(20, 80)); // the burst's requests are in flight on every replica
      const w = ledger.faultStart('replica-kill');
      await victim.kill9();
      log(`${ledger.t()} kill -9 ${victim.name} during a burst of ${on.burstSize} creds per engine`);
      return { repaired: repair(w, victim.name, () => victim.start()) };
    }
    case 'redis-kill': {
      const w = ledger.faultStart('redis-kill');
      // The harness's stop() is a clean SIGTERM; a crash is SIGKILL to the pid it recorded.
      process.kill(Number(readFileSync(join(on.redis.dir!, 'daemon.pid'), 'utf8')), 'SIGKILL');
      await on.redis.stop(); // reaps the killed process and waits for the port to close
      log(`${ledger.t()} kill -9 redis`);
      return { repaired: repair(w, 'redis (AOF replayed)', () => on.redis.start()) };
    }
    case 'pg-down':
    case 'mariadb-down': {
      const target = on.targets[fault.kind === 'pg-down' ? 'pg' : 'mariadb'];
      const w = ledger.faultStart(fault.kind);
      await target.server.stop();
      log(`${ledger.t()} ${target.engine} target stopped for ${fault.forMs / 1000}s`);
      return { repaired: repair(w, `${target.engine} target`, () => target.server.start()) };
    }
  }
}
