// `npm test` entry: node --import tsx test/helpers/run-tests.ts [tap args...]
//
// Starts ONE PostgreSQL, ONE MariaDB and ONE Redis for the whole run, runs tap
// with them, removes them, and prints `N passed, N failed` (tap's assertion
// counts) as the very last line. Exit code is tap's (never 0 if anything failed).
//
// Every test process gets these environment variables (read by context.ts):
//   LESSOR_TEST_PG_URL            postgres://postgres:<pw>@127.0.0.1:<port>/postgres  (superuser, scram auth)
//   LESSOR_TEST_PG_PASSWORD       that superuser password (also inside the URL)
//   LESSOR_TEST_MARIADB_URL       mysql://root:<pw>@127.0.0.1:<port>/  (root, no default database)
//   LESSOR_TEST_MARIADB_PASSWORD  that root password (also inside the URL)
//   LESSOR_TEST_REDIS_URL         redis://127.0.0.1:<port>  (no auth, appendonly yes)
// Optional input: LESSOR_TEST_BACKEND=local|docker forces how servers are started.
//
// Extra CLI args go to tap unchanged, e.g. `npm test -- test/harness` or `-- --bail`.
// Without file args tap runs the `include` globs of .taprc (test/**/*.test.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setExitOnSignal } from './registry.js';
import { startMariadb, startPostgres, startRedis, type ServerHandle } from './servers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const scratch = mkdtempSync(join(tmpdir(), 'lessor-run-'));
const rawTap = join(scratch, 'results.tap');

let tapChild: ReturnType<typeof spawn> | undefined;
let interrupted = false;
/** tap runs in its own process group (detached), so this reaches it and every test file process. */
const signalTap = (sig: NodeJS.Signals) => {
  try {
    if (tapChild?.pid) process.kill(-tapChild.pid, sig);
  } catch { /* already gone */ }
};
// registry.ts's handlers then only kill our servers; exiting is left to us, so that we
// can stop tap first and still print the summary line.
setExitOnSignal(false);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (interrupted || !tapChild) process.exit(130); // 2nd signal, or none running: just go (exit hook cleans up)
    interrupted = true;
    console.error(`\n${sig}: stopping tap and the test servers`);
    // tap alone finishes the running files first; the test processes must get it too.
    signalTap(sig);
    setTimeout(() => signalTap('SIGKILL'), 15_000).unref();
  });
}
// Never leave tap or its test processes running behind us (e.g. we failed or got a 2nd ^C).
process.on('exit', () => {
  if (interrupted || (tapChild && tapChild.exitCode === null && tapChild.signalCode === null)) signalTap('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

function summarize(tapCode: number): { passed: number; failed: number } {
  const text = existsSync(rawTap) ? readFileSync(rawTap, 'utf8') : '';
  // tap's own final count of assertions, e.g. "# { total: 13, pass: 6, fail: 5, todo: 1, skip: 1 }".
  const line = text.split('\n').reverse().find((l) => /^# \{ total: \d+/.test(l)) ?? '';
  const count = (key: string) => Number(new RegExp(`\\b${key}: (\\d+)`).exec(line)?.[1] ?? 0);
  // A file that dies without failing an assertion still shows as a top-level "not ok".
  const failedFiles = text.split('\n').filter((l) => /^not ok \d+/.test(l)).length;
  let failed = Math.max(count('fail'), failedFiles);
  if (tapCode !== 0 && failed === 0) failed = 1; // tap failed for another reason (no files, crash, bail)
  return { passed: count('pass'), failed };
}

async function startAll(): Promise<ServerHandle[]> {
  const started = await Promise.allSettled([startPostgres(), startMariadb(), startRedis()]);
  const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const errors = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (errors.length) {
    await Promise.allSettled(ok.map((s) => s.destroy()));
    throw new Error(errors.map((e) => e.message).join('\n'));
  }
  return ok;
}

function runTap(env: NodeJS.ProcessEnv): Promise<number> {
  const hasReporter = args.some((a) => /^(-R|--reporter(=|$))/.test(a));
  // The `tap` reporter (tap's non-TTY default) prints every line twice when
  // --output-file is set; `base` is tap's TTY default and reads well in CI too.
  const tapArgs = [...(hasReporter ? [] : ['--reporter=base']), `--output-file=${rawTap}`, ...args];
  return new Promise((resolveCode) => {
    tapChild = spawn(join(root, 'node_modules', '.bin', 'tap'), tapArgs, { cwd: root, env, stdio: 'inherit', detached: true });
    tapChild.once('error', (err) => { console.error(`cannot run tap: ${err.message}`); resolveCode(1); });
    tapChild.once('exit', (code, sig) => resolveCode(code ?? (sig ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  let servers: ServerHandle[] = [];
  let code = 1;
  try {
    const t0 = Date.now();
    servers = await startAll();
    const [pg, mariadb, redis] = servers;
    console.log(`# test servers up in ${Date.now() - t0}ms: postgres :${pg.port}, mariadb :${mariadb.port}, redis :${redis.port}`);
    code = interrupted ? 130 : await runTap({
      ...process.env,
      LESSOR_TEST_PG_URL: pg.url('postgres'),
      LESSOR_TEST_PG_PASSWORD: pg.password,
      LESSOR_TEST_MARIADB_URL: mariadb.url(),
      LESSOR_TEST_MARIADB_PASSWORD: mariadb.password,
      LESSOR_TEST_REDIS_URL: redis.url(),
    });
  } catch (err) {
    console.error(`test setup failed: ${(err as Error).message}`);
  } finally {
    await Promise.allSettled(servers.map((s) => s.destroy()));
  }
  const { passed, failed } = summarize(code);
  if (interrupted && code === 0) code = 130;
  // Leading newline: tap's reporter may leave an unterminated escape sequence
  // (cursor show) on the current line, and CI greps for this exact line.
  console.log(`\n${passed} passed, ${failed} failed`);
  return failed > 0 && code === 0 ? 1 : code;
}

process.exitCode = await main();
