// Lease renewal (`sys/leases/renew`) on a population of live leases, against the Redis commands
// of one renewal sent straight through ioredis. The leases are api-key leases: their renewal
// touches only Redis (a database lease's renewal also runs ALTER ROLE … VALID UNTIL), so the
// raw side is exactly the Redis work a renewal has to do.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { hashToken } from '../../src/auth/tokens.js';
import { Http, runLoad } from '../lib/load.js';
import { redisCommandsOf } from '../lib/monitor.js';
import { paired, type BenchCtx, type Row } from '../lib/types.js';

const RENEW_LUA = fileURLToPath(new URL('../../src/redis/lua/lease-renew-3.lua', import.meta.url));
const STATE_UPDATE_LUA = fileURLToPath(new URL('../../src/redis/lua/state-update-1.lua', import.meta.url));
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
  const redis = new Redis(ctx.servers.redis.url());
  redis.defineCommand('leaseRenew', { numberOfKeys: 3, lua: readFileSync(RENEW_LUA, 'utf8') });
  redis.defineCommand('stateUpdate', { numberOfKeys: 1, lua: readFileSync(STATE_UPDATE_LUA, 'utf8') });
  type Scripts = {
    leaseRenew(...a: (string | number)[]): Promise<number>;
    stateUpdate(...a: (string | number)[]): Promise<number>;
  };
  const scripts = redis as unknown as Scripts;
  const k = (...parts: string[]) => [`{${ctx.env.LESSOR_REDIS_PREFIX}}`, ...parts].join(':');
  const tokenKey = k('token', 't', hashToken(ctx.token));
  const due = k('leases', 'due');
  const revoking = k('leases', 'revoking');
  try {
    const seen = await redisCommandsOf(ctx, (i) => http.ok('POST', 'sys/leases/renew', { lease_id: leases[i].leaseId, increment: 3600 }));
    ctx.log(`  one lessor renewal sends ${seen.length} Redis commands: ${seen.join(' ')}`);
    // The raw side: what a renewal of an api-key lease has to do in Redis, in as few round trips
    // as the data dependencies allow: authenticate the token; read the lease (and its revoking
    // flag); move the key's own expiry (one script, as lessor's state.update); move the lease's
    // expiry (the same Lua script).
    const raw = async (i: number) => {
      const l = leases[i % leases.length];
      const now = Date.now();
      const [tok] = await redis.hmget(tokenKey, 'rec', 'uses', 'exp');
      if (!tok) throw new Error('token missing');
      const rec = k('lease', l.leaseId);
      const res = await redis.pipeline().hgetall(rec).smismember(revoking, l.leaseId).exec();
      if (!res || res[0][0]) throw new Error('lease read failed');
      const exp = now + 3600_000;
      const stateKey = k('engine', 'apikey', `key:${l.keyId}`);
      if ((await scripts.stateUpdate(stateKey, exp - now + 86_400_000, JSON.stringify('expires_at'), JSON.stringify(exp))) !== 1) throw new Error('key missing');
      const r = await scripts.leaseRenew(rec, due, revoking, l.leaseId, now, exp);
      if (r !== 1) throw new Error(`renew script answered ${r}`);
    };
    const res = await paired(ctx, `renew c=${concurrency} live=${population}`,
      () => runLoad(async (i) => {
        const r = await http.call('POST', 'sys/leases/renew', { lease_id: leases[i % leases.length].leaseId, increment: 3600 });
        if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 }),
      () => runLoad(raw, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 }));
    const ratio = res.lessor.perSec / res.raw.perSec;
    return [{
      workload: 'lease-renew', case: 'api-key leases', extra: { 'Redis cmds/renewal': seen.length }, concurrency, population, ...res, ratio,
      goal: '≥ 8,000/s, ratio ≥ 0.6, p99 < 20 ms',
      met: res.lessor.perSec >= 8000 && ratio >= 0.6 && res.lessor.p99 < 20,
    }];
  } finally {
    await http.close();
    redis.disconnect();
  }
}
