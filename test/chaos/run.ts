// `npm run chaos [-- --duration 600 --seed 42 --replicas 3]`: the full chaos run (see
// scenario.ts). Prints the report and exits 1 if any early revocation, orphan, lost lease or
// 500 appeared. Not part of CI: it takes about --duration plus the max TTL and setup.
import { parseArgs } from 'node:util';
import { FULL_RUN, runChaos } from './scenario.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: String(FULL_RUN.durationMs / 1000) },
    seed: { type: 'string' },
    replicas: { type: 'string', default: String(FULL_RUN.replicas) },
    outage: { type: 'string', default: String(FULL_RUN.outageMs / 1000) },
    ttl: { type: 'string', default: String(FULL_RUN.defaultTtlSec) },
    'max-ttl': { type: 'string', default: String(FULL_RUN.maxTtlSec) },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run chaos -- [--duration SECONDS (600)] [--seed N (random)] [--replicas N (3)] [--outage SECONDS (30)] [--ttl SECONDS (15)] [--max-ttl SECONDS (60)]');
  process.exit(0);
}
const num = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`chaos: --${name} must be an integer >= ${min}, got "${v}"`);
    process.exit(2);
  }
  return n;
};
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : num('seed', values.seed, 0);
const durationMs = num('duration', values.duration, 30) * 1000;
const outageMs = Math.min(num('outage', values.outage, 1) * 1000, Math.floor(durationMs / 5));

const cleanups: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => void cleanups.push(fn) };
let code = 1;
try {
  console.log(`chaos: seed ${seed} (rerun with --seed ${seed})`);
  const summary = await runChaos(t, {
    ...FULL_RUN, durationMs, seed, outageMs, keepLogs: true, replicas: num('replicas', values.replicas, 1),
    defaultTtlSec: num('ttl', values.ttl, 2), maxTtlSec: num('max-ttl', values['max-ttl'], 2),
  }, (l) => console.log(l));
  console.log(`\n${summary.text}`);
  code = summary.zeros ? 0 : 1;
} catch (err) {
  console.error(`chaos: ${(err as Error).stack ?? err}`);
} finally {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
}
process.exit(code);
