// 50 concurrent creds requests on one connection all succeed with 50 distinct working users,
// both through a group role and with per-table GRANTs (which collide in PostgreSQL as "tuple
// concurrently updated" and are retried). Prints the time taken, for the issue's measurement.
import t from 'tap';
import postgres from '../../plugins/postgres/index.js';
import { issue, testEngineContext } from '../helpers/engine-contract.js';
import { pgFixture } from './pg-fixture.js';

const cases = [
  { kind: 'groupRole', scram: false },
  { kind: 'tableRole', scram: false },
  { kind: 'groupRole', scram: true },
] as const;

for (const { kind, scram } of cases) {
  t.test(`50 concurrent creds (${kind}${scram ? ', scram verifiers from lessor' : ''})`, async (t) => {
    const fx = await pgFixture(t);
    const ctx = testEngineContext();
    const engine = postgres.create();
    t.teardown(() => engine.close());
    await engine.initialize({ config: { ...fx.config, ...(scram ? { password_authentication: 'scram-sha-256' as const } : {}) }, verifyConnection: true }, ctx);
    const role = fx[kind];
    const started = performance.now();
    const creds = await Promise.all(Array.from({ length: 50 }, () => issue(engine, ctx, 'app', role)));
    const ms = Math.round(performance.now() - started);
    const retries = ctx.logLines.filter((l) => l.includes('transaction retried')).length;
    t.comment(`50 concurrent creds via ${kind}${scram ? ' (scram)' : ''}: ${ms} ms, ${retries} transaction retries`);
    t.equal(new Set(creds.map((c) => c.data.username)).size, 50, '50 distinct users');
    const conns = await fx.su('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [fx.admin]);
    t.ok(conns.rows[0].n <= 5, `the pool stayed within max_open_connections (5): ${conns.rows[0].n} connections`);
    let working = 0;
    // Logins in batches of 10: the point is that every user works, not to load the server.
    for (let i = 0; i < creds.length; i += 10) {
      const batch = await Promise.all(creds.slice(i, i + 10).map((c) => fx.canSelect(c.data.username, c.data.password)));
      working += batch.filter(Boolean).length;
    }
    t.equal(working, 50, 'all 50 log in and SELECT');
    await Promise.all(creds.map((c) => engine.deleteCredential({ credentialId: c.id, roleName: 'app', role }, ctx)));
    const left = await fx.su('SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE $1', [`${fx.tag}-%`]);
    t.equal(left.rows[0].n, 0, 'all 50 revoked concurrently');
  });
}
