// Cold start: how long a new lessor process takes from fork() to a healthy answer, on an install
// whose Redis holds 100,000 live leases vs none. The leases are written straight through the
// production lease store (same Lua scripts), so they look exactly like issued ones. A replica
// must not read them at start (no lease restore): the ratio should stay near 1.
import { randomBytes } from 'node:crypto';
import { RedisLeaseStore } from '../../src/leases/redis-lease-store.js';
import { connectRedis } from '../../src/redis/client.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { startChild } from '../lib/child.js';
import { Http, median, runLoad } from '../lib/load.js';
import type { BenchCtx, Row } from '../lib/types.js';

async function fill(ctx: BenchCtx, prefix: string, n: number): Promise<void> {
  const redis = await connectRedis(ctx.servers.redis.url());
  const store = new RedisLeaseStore(redis, new RedisKeys(prefix));
  const now = Date.now();
  const tokenId = randomBytes(32).toString('hex');
  const t0 = performance.now();
  try {
    const t = await runLoad(async (i) => {
      const id = `apikey/creds/bench/${randomBytes(12).toString('base64url')}`;
      await store.create({
        id, mount: 'apikey', plugin: 'api-key', config: 'default', roleName: 'bench', role: { default_ttl: '2h', max_ttl: '24h', scopes: ['read'] },
        credentialId: `k${i}${randomBytes(8).toString('hex')}`, tokenId, ancestors: [],
        issueTime: now, expireTime: now + 2 * 3600_000, maxExpireTime: now + 24 * 3600_000, ttl: 7200,
      }, 'active', now);
    }, { concurrency: 256, count: n });
    if (t.errors) throw new Error(`filling leases: ${t.firstError}`);
  } finally {
    redis.disconnect();
  }
  ctx.log(`  wrote ${n} live leases under prefix ${prefix} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** fork() → first 200 from sys/health; RSS once healthy. */
async function startOnce(ctx: BenchCtx, prefix: string): Promise<{ ms: number; rssMb: number }> {
  const t0 = performance.now();
  const child = await startChild('lessor', { env: { ...ctx.env, LESSOR_REDIS_PREFIX: prefix }, logName: 'lessor-cold.log' });
  const http = new Http(child.base, 1);
  try {
    for (;;) {
      const r = await http.call('GET', 'sys/health').catch(() => ({ status: 0 }));
      if (r.status === 200) break;
      if (performance.now() - t0 > 60_000) throw new Error('lessor did not become healthy within 60 s');
      await new Promise((res) => setTimeout(res, 10));
    }
    const ms = performance.now() - t0;
    // Let the first reaper sweep and background jobs run before reading memory.
    await new Promise((res) => setTimeout(res, 1500));
    return { ms, rssMb: child.rssMb() };
  } finally {
    await http.close();
    await child.stop();
  }
}

export async function coldStart(ctx: BenchCtx): Promise<Row[]> {
  const n = ctx.opts.quick ? 10_000 : 100_000;
  const empty = `${ctx.env.LESSOR_REDIS_PREFIX}e`;
  const full = `${ctx.env.LESSOR_REDIS_PREFIX}f`;
  await fill(ctx, full, n);
  const runs = Math.max(3, ctx.opts.runs);
  const a: { ms: number; rssMb: number }[] = [];
  const b: { ms: number; rssMb: number }[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await startOnce(ctx, empty));
    b.push(await startOnce(ctx, full));
    ctx.log(`  cold start run ${i + 1}: no leases ${a[i].ms.toFixed(0)} ms (${a[i].rssMb.toFixed(0)} MB), ${n} leases ${b[i].ms.toFixed(0)} ms (${b[i].rssMb.toFixed(0)} MB)`);
  }
  const msA = median(a.map((x) => x.ms));
  const msB = median(b.map((x) => x.ms));
  const rssB = median(b.map((x) => x.rssMb));
  const ratio = msB / msA;
  return [{
    workload: 'cold-start', case: `${n} live leases vs none`, population: n, ratio,
    note: `start-to-healthy ${msB.toFixed(0)} ms vs ${msA.toFixed(0)} ms; RSS ${rssB.toFixed(0)} MB vs ${median(a.map((x) => x.rssMb)).toFixed(0)} MB (${ctx.server})`,
    extra: { start_ms: msB, start_ms_empty: msA, rss_mb: rssB },
    goal: 'ratio ≤ 1.2, RSS < 150 MB', met: ratio <= 1.2 && rssB < 150,
  }];
}
