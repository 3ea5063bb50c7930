// Logins: AppRole against the ceiling (a constant 200-byte fastify route), userpass against one
// argon2id verify at the parameters lessor chose (read from the hash lessor stored).
import argon2 from 'argon2';
import { Redis } from 'ioredis';
import { Http, runLoad } from '../lib/load.js';
import { paired, type BenchCtx, type Row } from '../lib/types.js';
import { baseline, ceilingLoad } from './apikey.js';

export const LOGIN_CONCURRENCY = 32;

export async function approleLogin(ctx: BenchCtx): Promise<Row[]> {
  const made = await ctx.admin.call('POST', 'auth/approle/role/bench', { token_policies: ['bench'], token_ttl: '1h', secret_id_num_uses: 0 });
  if (made.status === 404 || made.status === 405) return [{ workload: 'approle-login', case: '-', note: 'not available: auth/approle is not mounted in this build' }];
  if (made.status >= 300) throw new Error(`auth/approle/role/bench: ${made.status} ${JSON.stringify(made.body)}`);
  const roleId = (await ctx.admin.ok('GET', 'auth/approle/role/bench/role-id')).data.role_id as string;
  const secretId = (await ctx.admin.ok('POST', 'auth/approle/role/bench/secret-id', {})).data.secret_id as string;
  const concurrency = LOGIN_CONCURRENCY;
  const http = new Http(ctx.lessor.base, concurrency);
  const ceiling = await ceilingLoad(ctx, concurrency);
  try {
    const res = await paired(ctx, `approle-login c=${concurrency}`,
      () => runLoad(async () => {
        const r = await http.call('POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId }, '');
        if (r.status !== 200 || !r.body?.auth?.client_token) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 }),
      ceiling, { rawServer: await baseline() });
    return [{
      workload: 'approle-login', case: 'vs constant 200 B route', concurrency, ...res, ratio: res.lessor.perSec / res.raw.perSec,
      goal: '≥ 3,000/s', goalRate: 3000, met: res.lessor.perSec >= 3000,
    }];
  } finally {
    await http.close();
  }
}

/** The parameters lessor hashes passwords with (src/auth/userpass/passwords.ts). */
async function lessorArgon2Params(): Promise<Record<string, number> | undefined> {
  try {
    const mod = (await import('../../src/auth/userpass/passwords.js')) as { ARGON2_PARAMS?: Record<string, number> };
    return mod.ARGON2_PARAMS;
  } catch {
    return undefined;
  }
}

export async function userpassLogin(ctx: BenchCtx): Promise<Row[]> {
  const password = 'correct horse battery staple';
  const made = await ctx.admin.call('POST', 'auth/userpass/users/bench', { password, token_policies: ['bench'], token_ttl: '1h' });
  if (made.status === 404 || made.status === 405) return [{ workload: 'userpass-login', case: '-', note: 'not available: auth/userpass is not mounted in this build' }];
  if (made.status >= 300) throw new Error(`auth/userpass/users/bench: ${made.status} ${JSON.stringify(made.body)}`);
  const chosen = await lessorArgon2Params();
  if (!chosen) return [{ workload: 'userpass-login', case: '-', note: 'not available: src/auth/userpass/passwords.ts exports no ARGON2_PARAMS' }];
  const hash = await argon2.hash(password, { ...chosen, type: argon2.argon2id });
  const params = /m=\d+,[^$]+/.exec(hash)?.[0] ?? 'argon2id';
  // The login limiter allows 30 attempts a minute per address and the bench has one address:
  // its counter is cleared every 50 ms, so the limiter still runs on every login but never trips.
  const limiterKey = `{${ctx.env.LESSOR_REDIS_PREFIX}}:login:ip:127.0.0.1`;
  const redis = new Redis(ctx.servers.redis.url());
  const clear = setInterval(() => void redis.del(limiterKey).catch(() => {}), 50);
  const concurrency = 8;
  const http = new Http(ctx.lessor.base, concurrency);
  try {
    const res = await paired(ctx, `userpass-login c=${concurrency}`,
      () => runLoad(async () => {
        const r = await http.call('POST', 'auth/userpass/login/bench', { password }, '');
        if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 }),
      () => runLoad(async () => {
        if (!(await argon2.verify(hash, password))) throw new Error('argon2 verify failed');
      }, { concurrency, durationMs: ctx.opts.trialMs, warmupMs: 500 }));
    const ratio = res.lessor.perSec / res.raw.perSec;
    return [{ workload: 'userpass-login', case: `vs argon2id verify (${params})`, concurrency, ...res, ratio, goal: 'ratio ≥ 0.8', met: ratio >= 0.8 }];
  } finally {
    clearInterval(clear);
    redis.disconnect();
    await http.close();
  }
}
