// Property-based fuzzing of every route in the route table, generated from the app itself so a
// new route is fuzzed without anyone listing it. Each route and method gets hostile paths, query
// strings, headers and bodies three times over: unauthenticated, with a narrow token, and with
// root. Properties: no answer is a server error, the process keeps answering, an anonymous
// caller gets no 2xx from a protected route, the narrow token never gets past a deny, and
// afterwards every protected route still refuses an anonymous call.
//
// FUZZ_SEED (default fixed, so CI is repeatable) and FUZZ_RUNS (runs per route and caller;
// raise it for a longer run by hand) steer it. A failure prints the request, the answer, the
// server's error log and the seed to replay it with.
import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { LIST_METHOD, policyPath } from '../../src/http/request-shape.js';
import { routeList } from '../identity/route-list.js';
import { captureRoutes, routeKey, verb } from './route-capture.js';
import { deniedSpelling, fuzzInstall, NARROW_DENIED } from './install.js';
import { describe, plainRequest, requestFor, send, type Answer, type FuzzRequest, type Target } from './requests.js';

const SEED = Number(process.env.FUZZ_SEED ?? 2112);
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
// The CI default takes 25-80 s here, depending on load; a longer run scales with the run count.
t.setTimeout(Math.max(120_000, 25_000 * RUNS + 60_000));

const capture = captureRoutes();
t.teardown(() => capture.stop());

type Phase = 'anonymous' | 'narrow' | 'root';

/** Each property gets its own seed, derived from the run's seed and what it fuzzes, so any one replays alone. */
const seedFor = (phase: Phase, key: string) => SEED ^ createHash('sha256').update(`${phase} ${key}`).digest().readInt32LE(0);

/**
 * A dependency that fails is a 503 by design, and a database target may refuse what a fuzzed
 * role asks of it (502); anything else at or above 500 is a bug.
 */
function serverError(req: FuzzRequest, status: number): boolean {
  if (status < 500 || status === 503) return false;
  return !(status === 502 && /^\/v1\/database\//.test(req.url));
}

function carriesToken(ans: Answer): boolean {
  try {
    const body = JSON.parse(ans.body) as { wrap_info?: { token?: unknown }; auth?: { client_token?: unknown } } | null;
    return Boolean(body?.wrap_info?.token || body?.auth?.client_token);
  } catch {
    return false;
  }
}

function deniedToNarrow(req: FuzzRequest): boolean {
  let path: string;
  try {
    path = policyPath(req.url);
  } catch {
    return false; // not decodable: the server cannot have matched a name in it either
  }
  return NARROW_DENIED.some((re) => re.test(path));
}

t.test('fuzz every route: unauthenticated, narrow token, root', async (t) => {
  const f = await fuzzInstall(t);
  const app = f.tr.rt.app;

  // What was registered is the table; fastify's own print-out of its router must agree with it
  // (it shows `x/*` as `x*`), so a route added by any means is in both or the test says so.
  const table = [...capture.routes.values()];
  for (const { method, url } of routeList(app)) {
    if (method === 'HEAD') continue;
    if (!capture.routes.has(routeKey(method, url)) && !capture.routes.has(routeKey(method, url.replace(/\*$/, '/*')))) {
      t.fail(`route ${verb(method)} ${url} is in the router but was not seen being registered`);
    }
  }
  // HEAD must never act; it is sent to every GET route too, routed there or not.
  const targets: Target[] = table.map(({ method, url, bodyFields }) => ({ method, url, bodyFields, routed: true }));
  for (const { method, url } of table) {
    if (method === 'GET' && !capture.routes.has(routeKey('HEAD', url))) targets.push({ method: 'HEAD', url, bodyFields: {}, routed: false });
  }
  t.ok(targets.length > 100, `fuzzing ${targets.length} route/method pairs`);
  t.comment(`FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}: ${targets.length} routes × 3 callers × (1 plain + ${RUNS} fuzzed) runs`);

  const before = await f.deniedState();
  t.equal(before['u1 logs in with its password'], 200, 'u1 logs in before the fuzz (so the check after it means something)');
  const counts = new Map<number, number>();
  /** 502s and 503s the properties allow, by route, so a person can look at them. */
  const tolerated = new Map<string, number>();
  let requests = 0;

  const fuzzPhase = async (phase: Phase) => {
    const started = Date.now();
    const sentBefore = requests;
    for (const target of targets) {
      const token = phase === 'anonymous' ? undefined : phase === 'narrow' ? await f.narrowToken() : await f.rootToken();
      const isPublic = capture.routes.get(routeKey(target.method, target.url))?.public ?? false;
      let last: { req: FuzzRequest; ans?: Answer; log: string[] } | undefined;
      const property = fc.asyncProperty(requestFor(target, token), async (req) => {
        const mark = f.tr.logLines.length;
        last = { req, log: [] };
        const ans = await send(app, req);
        requests++;
        counts.set(ans.status, (counts.get(ans.status) ?? 0) + 1);
        last = { req, ans, log: f.tr.logLines.slice(mark).filter((l) => /"level":(50|60)/.test(l)) };
        if (serverError(req, ans.status)) return false;
        if (ans.status >= 500) {
          const key = `${ans.status} ${phase} ${verb(target.method)} ${target.url}`;
          tolerated.set(key, (tolerated.get(key) ?? 0) + 1);
        }
        if (phase === 'narrow' && ans.status < 300 && deniedToNarrow(req)) return false;
        // With no token or a made-up one, a protected route answers nothing but an error, and
        // no route hands out a token (a wrapping token is one: it keeps an answer in Redis).
        if (phase === 'anonymous' && !isPublic && ans.status < 300) return false;
        if (phase === 'anonymous' && carriesToken(ans)) return false;
        return true;
      });
      const seed = seedFor(phase, routeKey(target.method, target.url));
      // Every run starts from a tame request, and the narrow token also tries the denied name
      // in another spelling (R1 for r1), so that case is checked on every CI run.
      const denied = phase === 'narrow' ? deniedSpelling(target.url) : undefined;
      const examples: Array<[FuzzRequest]> = [[plainRequest(target, token)], ...(denied ? [[plainRequest(target, token, denied)] as [FuzzRequest]] : [])];
      // No shrinking: every step would be another request against shared state, and the
      // first failing input with its server log is what a person needs.
      const out = await fc.check(property, { seed, endOnFailure: true, numRuns: RUNS + examples.length, examples });
      if (out.failed) {
        t.fail(`${phase} ${verb(target.method)} ${target.url}`, {
          request: last ? describe(last.req, last.ans) : '(none)',
          error: out.errorInstance ? String(out.errorInstance) : undefined,
          serverLog: last?.log.map((l) => l.slice(0, 2000)),
          replay: `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} (property seed ${seed})`,
        });
      }
      if (phase === 'narrow' && (await f.restoreNarrowPolicy())) t.fail(`narrow ${verb(target.method)} ${target.url} changed the narrow token's own policy`);
      // The process keeps answering after each route's runs.
      const health = await send(app, { method: 'GET', url: '/v1/sys/health', headers: {}, body: undefined });
      if (health.status !== 200) t.fail(`sys/health answers ${health.status} after ${phase} fuzzing of ${verb(target.method)} ${target.url}`);
    }
    t.comment(`${phase}: ${requests - sentBefore} fuzzed requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };

  await fuzzPhase('anonymous');
  await fuzzPhase('narrow');
  t.same(await f.deniedState(), before, 'no anonymous or narrow-token request changed an object the narrow policy denies');
  await fuzzPhase('root');
  t.comment(`answers by status: ${JSON.stringify(Object.fromEntries([...counts].sort((a, b) => a[0] - b[0])))} (${requests} requests)`);
  if (tolerated.size) t.comment(`502/503 answers (a target or dependency refused): ${JSON.stringify(Object.fromEntries(tolerated))}`);

  const missed = targets.filter((x) => x.routed && !capture.hits.has(routeKey(x.method, x.url)));
  t.same(missed.map((x) => `${verb(x.method)} ${x.url}`), [], 'every route in the table was reached by a fuzzed request');

  // Afterwards: every route that is not public refuses an anonymous request, and health is up.
  let refused = 0;
  for (const { method, url, public: isPublic } of table) {
    if (isPublic) continue;
    const path = url.replace(/:[A-Za-z_]+/g, 'x').replace(/\*/g, 'x');
    const req: FuzzRequest = method === LIST_METHOD
      ? { method: 'GET', url: `${path}?list=true`, headers: {}, body: undefined }
      : { method, url: path, headers: {}, body: ['POST', 'PUT'].includes(method) ? '{}' : undefined };
    const ans = await send(app, req);
    if (ans.status === 403) refused++;
    else t.fail(`after fuzzing, an anonymous request is not refused: ${describe(req, ans)}`);
  }
  t.comment(`${refused} protected route/method pairs refuse an anonymous request`);
  t.ok(refused > 100, 'most of the API is protected');
  t.equal((await send(app, { method: 'GET', url: '/v1/sys/health', headers: {}, body: undefined })).status, 200, 'sys/health answers 200');
});
