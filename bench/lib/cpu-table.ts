import { coresAt, machineCores } from './cpu-split.js';
import { markdownTable } from './table.js';
import type { Row, Side } from './types.js';

const f = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));

/**
 * Where each measured side's CPU went, per operation, and how many of the machine's cores that
 * split needs at the measured rate and at the rate the goal asks for. A side whose "cores at
 * goal" exceeds the machine cannot reach the goal here, however its own share is cut; the
 * columns say whose share that is.
 */
export function formatCpuTable(rows: Row[]): string {
  const head = ['workload', 'case', 'c', 'live', 'side', 'ops/s', 'machine', 'server', 'Redis', 'load gen', 'other', 'cores busy', `cores at goal (of ${machineCores()})`];
  const lines: string[][] = [];
  for (const r of rows) {
    for (const [name, s] of [['lessor', r.lessor], ['raw', r.raw]] as [string, Side | undefined][]) {
      if (!s?.cpu) continue;
      const c = s.cpu;
      lines.push([
        r.workload, r.case, r.concurrency === undefined ? '' : String(r.concurrency), r.population === undefined ? '' : String(r.population), name,
        s.perSec.toFixed(0), f(c.machine), f(c.server), f(c.redis), f(c.loadGenerator), f(c.other),
        f(coresAt(c, s.perSec), 2), r.goalRate === undefined ? '' : f(coresAt(c, r.goalRate), 2),
      ]);
    }
  }
  return `CPU per operation (ms), by process\n${markdownTable(head, lines)}`;
}
