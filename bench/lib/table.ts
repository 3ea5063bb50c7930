import type { Row } from './types.js';

const num = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));

/** A Markdown table (it goes into the README as is). */
export function formatTable(rows: Row[]): string {
  const head = ['workload', 'case', 'c', 'live', 'lessor/s', 'p50 ms', 'p99 ms', 'CPU ms/op', 'raw/s', 'raw p50', 'raw p99', 'ratio', 'goal', 'met'];
  const lines = rows.map((r) => {
    if (r.note && !r.lessor) return [r.workload, r.case, num(r.concurrency), num(r.population), r.note, '', '', '', '', '', '', '', r.goal ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO'];
    const extra = r.extra ? Object.entries(r.extra).map(([k, v]) => `${k} ${typeof v === 'number' ? num(v, v < 10 ? 2 : 0) : v}`).join(', ') : '';
    return [
      r.workload, r.case + (extra ? ` (${extra})` : '') + (r.note ? ` — ${r.note}` : ''), num(r.concurrency), num(r.population),
      num(r.lessor?.perSec, r.lessor && r.lessor.perSec < 100 ? 1 : 0), ms(r.lessor?.p50), ms(r.lessor?.p99), r.lessor?.cpu?.server === undefined ? '' : r.lessor.cpu.server.toFixed(2),
      num(r.raw?.perSec, r.raw && r.raw.perSec < 100 ? 1 : 0), ms(r.raw?.p50), ms(r.raw?.p99),
      num(r.ratio, 2), r.goal ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    ];
  });
  return markdownTable(head, lines);
}

/** Columns padded to their widest cell, so the table reads as well in a terminal as in Markdown. */
export function markdownTable(head: string[], lines: string[][]): string {
  const all = [head, ...lines];
  const widths = head.map((_, i) => Math.max(...all.map((l) => l[i].length)));
  const fmt = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmt(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(fmt)].join('\n');
}
