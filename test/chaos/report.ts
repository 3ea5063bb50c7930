// The chaos run's verdict: counters per engine, answers per route, reaper lag per window
// (quiet, and around each fault), the goals, and the findings themselves.
import type { Engine, Ledger, LeaseRecord } from './ledger.js';
import { ENGINES } from './ledger.js';

export interface LagStats {
  window: string;
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ChaosSummary {
  early: number;
  orphans: number;
  lost: number;
  http500: number;
  hangs: number;
  lag: LagStats[];
  /** Every goal met: the zeros, quiet p99 ≤ 1 s, every lease due in an outage gone ≤ 5 s after it. */
  goalsMet: boolean;
  /** Only the zeros the run must never break (early, orphans, lost, 500). */
  zeros: boolean;
  text: string;
}

const QUIET = 'quiet';

/**
 * Reaper lag of every lease that expired on its own: from its expiry to its user being gone.
 * For a lease that fell due while its target was down it counts from the target's return.
 */
export function lagSamples(ledger: Ledger): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const add = (w: string, v: number) => {
    let a = out.get(w);
    if (!a) out.set(w, (a = []));
    a.push(Math.max(0, v));
  };
  for (const l of ledger.leases.values()) {
    if (l.revokeSentAt !== undefined || l.goneAt === undefined) continue;
    const { window, from } = lagWindow(ledger, l);
    add(window, l.goneAt - from);
  }
  return out;
}

/** Which window a lease fell due in, and when its reaping could start (a target's return, for an outage). */
function lagWindow(ledger: Ledger, l: LeaseRecord): { window: string; from: number } {
  const due = l.lower;
  let window = QUIET;
  let from = due;
  for (const f of ledger.faultsFor(l.engine)) {
    const repaired = f.end ?? Infinity;
    if (f.kind === 'pg-down' || f.kind === 'mariadb-down') {
      if (due >= f.start - 1000 && due <= repaired + 5000) { window = `${f.kind} (from repair)`; from = Math.max(due, repaired); }
    } else if (due >= f.start - 2000 && due <= repaired + 5000) {
      window = f.kind;
    }
  }
  return { window, from };
}

/** The five leases the reaper took longest over (outside fault windows if quiet), with when they fell due. */
function slowest(ledger: Ledger, quiet = false): string[] {
  return [...ledger.leases.values()]
    .filter((l) => l.revokeSentAt === undefined && l.goneAt !== undefined && (!quiet || lagWindow(ledger, l).window === QUIET))
    .sort((a, b) => (b.goneAt! - b.lower) - (a.goneAt! - a.lower)).slice(0, 5)
    .map((l) => `${l.engine} due ${ledger.t(l.lower)}${ledger.during(l.lower)} gone ${ledger.t(l.goneAt)}` +
      (l.lastRenewSentAt ? `, last renew sent ${l.lower - l.lastRenewSentAt} ms before due` : ''));
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function summarize(ledger: Ledger, header: string, extra: { orphanDetails: string[]; leftLive: Record<Engine, number>; overdue: Record<Engine, number>; replicaLog: string[] }): ChaosSummary {
  const c = ledger.counters;
  const count = (kind: string) => ledger.findings.filter((f) => f.kind === kind).length;
  const early = count('early-revocation');
  const lost = count('lost-lease');
  const orphans = count('orphan');
  const http500 = count('http-500');
  const hangs = count('hang');
  const expired = (e: Engine) => [...ledger.leases.values()].filter((l) => l.engine === e && l.revokedAt === undefined).length;

  const counterRows: [string, (e: Engine) => number][] = [
    ['leases issued', (e) => c[e].issued],
    ['renewed', (e) => c[e].renewed],
    ['renew refused (4xx)', (e) => c[e].renewRefused],
    ['revoked (by us, 204)', (e) => c[e].revoked],
    ['expired (left to the reaper)', expired],
    ['creds refused (4xx/5xx)', (e) => c[e].issueFailed],
    ['creds died with a replica', (e) => c[e].issueUnknown],
    ['login probes', (e) => c[e].probes],
    ['  inconclusive (target down)', (e) => c[e].probesInconclusive],
    ['listed live after the wait', (e) => extra.leftLive[e]],
    ['  of ours, past expiry (unreaped)', (e) => extra.overdue[e]],
    ['EARLY REVOCATIONS', (e) => c[e].early],
    ['LOST LEASES', (e) => c[e].lost],
    ['ORPHANS', (e) => c[e].orphans],
  ];

  const routes = [...ledger.statuses.entries()].sort(([a], [b]) => a.localeCompare(b));
  const statusKeys = [...new Set(routes.flatMap(([, m]) => [...m.keys()]))].sort();
  const routeRows = routes.map(([route, m]) => [route, ...statusKeys.map((k) => m.get(k) ?? 0)]);

  const samples = lagSamples(ledger);
  const lag: LagStats[] = [...samples.entries()].sort(([a], [b]) => (a === QUIET ? -1 : b === QUIET ? 1 : a.localeCompare(b))).map(([window, v]) => {
    const s = [...v].sort((a, b) => a - b);
    return { window, n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1] ?? 0 };
  });
  const ms = (v: number) => `${(v / 1000).toFixed(2)}s`;
  const quiet = lag.find((l) => l.window === QUIET);
  const outages = lag.filter((l) => l.window.includes('from repair'));
  const zeros = early === 0 && orphans === 0 && lost === 0 && http500 === 0;
  const goals: [string, boolean][] = [
    ['0 early revocations', early === 0],
    ['0 orphans', orphans === 0],
    ['0 lost leases', lost === 0],
    ['0 answers 500', http500 === 0],
    ['no hangs (answer within 15 s)', hangs === 0],
    ['every lease reaped by the end of the wait', ENGINES.every((e) => extra.overdue[e] === 0)],
    [`reaper lag p99 <= 1 s outside fault windows (${quiet ? ms(quiet.p99) : 'no samples'})`, !!quiet && quiet.p99 <= 1000],
    ...outages.map((o): [string, boolean] => [`${o.window.replace(' (from repair)', '')}: every lease due in the outage gone <= 5 s after it (max ${ms(o.max)})`, o.max <= 5000]),
  ];
  const goalsMet = goals.every(([, ok]) => ok);

  const findings = ledger.findings.slice(0, 30).map((f) => `  ${ledger.t(f.at)} ${f.kind}${f.engine ? ` [${f.engine}]` : ''}: ${f.detail}`);
  const text = [
    header,
    '',
    table(['', ...ENGINES], counterRows.map(([name, f]) => [name, ...ENGINES.map(f)])),
    '',
    'answers by route (status → count; conn-error = the replica died under the request)',
    table(['route', ...statusKeys], routeRows),
    '',
    'first answer of each failing route and status:',
    ...[...ledger.firstFailure.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k}: ${v}`),
    '',
    'reaper lag: lease expiry → user gone from the target (outage rows: from the target\'s return)',
    table(['window', 'n', 'p50', 'p99', 'max'], lag.map((l) => [l.window, l.n, ms(l.p50), ms(l.p99), ms(l.max)])),
    'slowest reaps: ' + slowest(ledger).join('; '),
    'slowest quiet reaps: ' + slowest(ledger, true).join('; '),
    '',
    'faults: ' + ledger.faults.map((f) => `${f.kind} ${ledger.t(f.start)}–${f.end ? ledger.t(f.end) : '?'}`).join(', '),
    '',
    ...goals.map(([g, ok]) => `${ok ? 'PASS' : 'FAIL'}  ${g}`),
    ...(findings.length ? ['', `findings (${ledger.findings.length}${ledger.findings.length > 30 ? ', first 30' : ''}):`, ...findings] : []),
    ...(extra.replicaLog.length ? ['', 'replica logs, warnings and errors by message:', ...extra.replicaLog.slice(0, 15).map((l) => `  ${l}`)] : []),
    ...(extra.orphanDetails.length ? ['', 'orphans:', ...extra.orphanDetails.slice(0, 20).map((o) => `  ${o}`)] : []),
  ].join('\n');
  return { early, orphans, lost, http500, hangs, lag, goalsMet, zeros, text };
}
