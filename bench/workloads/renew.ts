// Lease renewal (`sys/leases/renew`) on a population of live leases, against the Redis commands
// of one renewal sent straight through ioredis. The leases are api-key leases: their renewal
// touches only Redis (a database lease's renewal also runs ALTER ROLE … VALID UNTIL), so the
// raw side is exactly the Redis work a renewal has to do.
import { hashToken } from '../../src/auth/tokens.js';
import { Http, runLoad } from '../lib/load.js';
import { rawRenewer } from '../lib/raw-renewal.js';
import { redisCommandsOf } from '../lib/monitor.js';
import { baseline } from './apikey.js';
import { paired, type BenchCtx, type Row } from '../lib/types.js';

export const RENEW_CONCURRENCY = 64;

interface Issued {
  leaseId: string;
  keyId: string;
}

export async function issueApiKeys(ctx: BenchCtx, n: number, concurrency = 32): Promise<Issued[]> {
  await ctx.admin.ok('POST', 'apikey/roles/bench', { default_ttl: '2h', max_ttl: '24h', scopes: ['read'] });
  const http = new Http(ctx.lessor.base, concurrency, ctx.token);
  const out: Issued[] = [];
  const t0 = performance.now();
  try {
    const t = await runLoad(async () => {
      const r = await http.ok('GET', 'apikey/creds/bench');
      out.push({ leaseId: r.lease_id, keyId: r.data.key_id });
    }, { concurrency, count: n });
    if (t.errors) throw new Error(`issuing api keys: ${t.firstError}`);
  } finally {
    await http.close();
  }
  ctx.log(`  issued ${n} api-key leases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

export async function renew(ctx: BenchCtx): Promise<Row[]> {
  const population = ctx.opts.quick ? 1000 : 10_000;
  const leases = await issueApiKeys(ctx, population);
  const concurrency = RENEW_CONCURRENCY;
  const http = new Http(ctx.lessor.base, concurrency, ctx.token);
  const target = { redisUrl: ctx.servers.redis.url(), prefix: ctx.env.LESSOR_REDIS_PREFIX, tokenHash: hashToken(ctx.token) };
  const renewer = rawRenewer(target, { autoPipelining: false });
  try {
    const seen = await redisCommandsOf(ctx, (i) => http.ok('POST', 'sys/leases/renew', { lease_id: leases[i].leaseId, increment: 3600 }));
    ctx.log(`  one lessor renewal sends ${seen.length} Redis commands: ${seen.join(' ')}`);
    const raw = (i: number) => renewer.renew(leases[i % leases.length].leaseId, leases[i % leases.length].keyId);
    const lessorLoad = () => runLoad(async (i) => {
      const r = await http.call('POST', 'sys/leases/renew', { lease_id: leases[i % leases.length].leaseId, increment: 3600 });
      if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 });
    const res = await paired(ctx, `renew c=${concurrency} live=${population}`, lessorLoad,
      () => runLoad(raw, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 }));
    const ratio = res.lessor.perSec / res.raw.perSec;
    // The floor: the same Redis work behind a bare fastify route in its own process, over the
    // same load generator. What HTTP plus the renewal's Redis commands cost with nothing of
    // lessor's; the goal's 8,000/s is out of reach wherever this is below it.
    const base = await baseline();
    const floorHttp = new Http(base.base, concurrency);
    let floor;
    try {
      await floorHttp.ok('POST', '/renew-floor/setup', target);
      floor = await paired(ctx, `renew floor c=${concurrency} live=${population}`, lessorLoad,
        () => runLoad(async (i) => {
          const l = leases[i % leases.length];
          const r = await floorHttp.call('POST', '/renew-floor', { lease_id: l.leaseId, key_id: l.keyId });
          if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 }), { rawServer: base });
    } finally {
      await floorHttp.close();
    }
    return [{
      workload: 'lease-renew', case: 'api-key leases', extra: { 'Redis cmds/renewal': seen.length }, concurrency, population, ...res, ratio,
      goal: '≥ 8,000/s, ratio ≥ 0.6, p99 < 20 ms', goalRate: 8000,
      met: res.lessor.perSec >= 8000 && ratio >= 0.6 && res.lessor.p99 < 20,
    }, {
      workload: 'lease-renew', case: 'vs the floor: raw side behind a bare fastify route', concurrency, population, ...floor,
      ratio: floor.lessor.perSec / floor.raw.perSec,
      goal: 'shows whether 8,000/s is reachable here', goalRate: 8000,
    }];
  } finally {
    await http.close();
    renewer.close();
  }
}
