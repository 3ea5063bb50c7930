// node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
// Prints the functions with the most self time, and the lessor functions (src/, plugins/) with
// the most total time: enough to see where a request's CPU goes without opening DevTools.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const total = prof.nodes.reduce((s, n) => s + n.hitCount, 0);

const name = (n: Node) => {
  const url = n.callFrame.url.replace(/^file:\/\/\/work\/main\//, '').replace(/.*node_modules\//, 'nm:');
  return `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const incl = new Map<string, number>();
for (const n of prof.nodes) {
  if (!n.hitCount) continue;
  self.set(name(n), (self.get(name(n)) ?? 0) + n.hitCount);
  // Inclusive: every distinct frame on the stack of these samples.
  const seen = new Set<string>();
  for (let cur: Node | undefined = n; cur; cur = parent.has(cur.id) ? byId.get(parent.get(cur.id)!) : undefined) {
    const k = name(cur);
    if (!seen.has(k)) incl.set(k, (incl.get(k) ?? 0) + n.hitCount), seen.add(k);
  }
}
const pct = (x: number) => `${((100 * x) / total).toFixed(1).padStart(5)}%`;
const idle = [...self.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
console.log(`${total} samples, ${pct(total - idle)} busy`);
// Self time by where the code lives: which layer the CPU goes to.
const layer = (n: Node) => {
  const u = n.callFrame.url;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (m) return `npm:${m[1]}`;
  if (/\/(src|plugins)\//.test(u)) return /\/plugins\//.test(u) ? 'lessor plugins/' : 'lessor src/';
  if (u.startsWith('node:')) return 'node core (js)';
  const f = n.callFrame.functionName;
  if (f === '(idle)') return '(idle)';
  if (f === '(garbage collector)') return 'gc';
  if (/^(writev|writeBuffer|writeString|writeUtf8String|writeLatin1String|fsync|open|close|read)$/.test(f)) return 'syscalls (write/read)';
  return 'native/other';
};
const layers = new Map<string, number>();
for (const n of prof.nodes) if (n.hitCount) layers.set(layer(n), (layers.get(layer(n)) ?? 0) + n.hitCount);
console.log('\nself time by layer (share of busy time):');
for (const [k, v] of [...layers.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 16)) {
  console.log(`${((100 * v) / Math.max(1, total - idle)).toFixed(1).padStart(5)}%  ${k}`);
}
// Who issues the write syscalls: the first frame above them that is not Node's own.
const writers = new Map<string, number>();
for (const n of prof.nodes) {
  if (!n.hitCount || layer(n) !== 'syscalls (write/read)') continue;
  let cur: Node | undefined = n;
  let who = 'node core';
  while (cur && parent.has(cur.id)) {
    cur = byId.get(parent.get(cur.id)!);
    const l = cur ? layer(cur) : '';
    if (cur && l !== 'node core (js)' && l !== 'native/other' && l !== 'syscalls (write/read)') {
      who = l;
      break;
    }
  }
  writers.set(who, (writers.get(who) ?? 0) + n.hitCount);
}
console.log('\nwrite syscalls by caller (share of busy time):');
for (const [k, v] of [...writers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
  console.log(`${((100 * v) / Math.max(1, total - idle)).toFixed(1).padStart(5)}%  ${k}`);
}
console.log('\nself time:');
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
console.log('\ntotal time, lessor code and selected libraries:');
for (const [k, v] of [...incl.entries()].filter(([k]) => /(src|plugins)\/|nm:(pino|fastify|ioredis|pg|mysql2|ajv)/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(v)}  ${k}`);
}
