// API-key verify (`POST apikey/verify`) against the ceiling: a bare fastify route answering a
// constant 200-byte JSON, also in its own child process, over the same keep-alive connections.
import { hashToken } from '../../src/auth/tokens.js';
import { startChild, type Child } from '../lib/child.js';
import { Http, runLoad } from '../lib/load.js';
import { paired, type BenchCtx, type Row } from '../lib/types.js';

export const VERIFY_CONCURRENCY = 32;

let baselineChild: Promise<Child> | undefined;
/** One baseline server for the whole run (AppRole and verify share the ceiling). */
export function baseline(): Promise<Child> {
  baselineChild ??= startChild('baseline');
  return baselineChild;
}
export async function stopBaseline(): Promise<void> {
  if (baselineChild) await (await baselineChild).stop();
  baselineChild = undefined;
}

export async function ceilingLoad(ctx: BenchCtx, concurrency: number): Promise<() => ReturnType<typeof runLoad>> {
  const b = await baseline();
  const http = new Http(b.base, concurrency);
  return () => runLoad(async () => {
    const r = await http.call('POST', '/constant', { api_key: 'x'.repeat(60) });
    if (r.status !== 200) throw new Error(`${r.status}`);
  }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 });
}

export async function apikeyVerify(ctx: BenchCtx): Promise<Row[]> {
  await ctx.admin.ok('POST', 'apikey/roles/bench', { default_ttl: '2h', max_ttl: '24h', scopes: ['read'] });
  const issued = await ctx.admin.ok('GET', 'apikey/creds/bench', undefined, ctx.token);
  const apiKey = issued.data.api_key as string;
  const concurrency = VERIFY_CONCURRENCY;
  const http = new Http(ctx.lessor.base, concurrency, ctx.token);
  const ceiling = await ceilingLoad(ctx, concurrency);
  try {
    const lessorLoad = () => runLoad(async () => {
      const r = await http.call('POST', 'apikey/verify', { api_key: apiKey });
      if (r.status !== 200 || r.body?.data?.valid !== true) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 });
    const base = await baseline();
    const res = await paired(ctx, `apikey-verify c=${concurrency}`, lessorLoad, ceiling, { rawServer: base });
    const ratio = res.lessor.perSec / res.raw.perSec;
    // The floor: verify's own Redis reads and HMAC behind a bare route in the baseline child.
    const floorHttp = new Http(base.base, concurrency);
    let floor;
    try {
      await floorHttp.ok('POST', '/verify-floor/setup', {
        redisUrl: ctx.servers.redis.url(), prefix: ctx.env.LESSOR_REDIS_PREFIX, tokenHash: hashToken(ctx.token), keyId: issued.data.key_id,
      });
      floor = await paired(ctx, `apikey-verify floor c=${concurrency}`, lessorLoad,
        () => runLoad(async () => {
          const r = await floorHttp.call('POST', '/verify-floor', { api_key: apiKey });
          if (r.status !== 200 || r.body?.data?.valid !== true) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 }), { rawServer: base });
    } finally {
      await floorHttp.close();
    }
    return [
      { workload: 'apikey-verify', case: 'vs constant 200 B route', concurrency, ...res, ratio, goal: '≥ 0.5 of the ceiling', goalRate: 0.5 * res.raw.perSec, met: ratio >= 0.5 },
      { workload: 'apikey-verify', case: 'vs the floor: its Redis reads + HMAC behind a bare route', concurrency, ...floor, ratio: floor.lessor.perSec / floor.raw.perSec, goal: 'floor/ceiling shows what 0.5 allows', goalRate: 0.5 * res.raw.perSec },
    ];
  } finally {
    await http.close();
  }
}
