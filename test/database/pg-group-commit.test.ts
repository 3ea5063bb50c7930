// Group commit: concurrent creds on one PostgreSQL connection config share transactions, a bad
// request in a group fails alone, and concurrent default revocations are grouped the same way.
import t, { type Test } from 'tap';
import postgres from '../../plugins/postgres/index.js';
import type { DatabaseRole } from '../../plugins/sdk/database.js';
import { issue, testEngineContext } from '../helpers/engine-contract.js';
import { pgFixture, type PgFixture } from './pg-fixture.js';

async function setup(t: Test, fx: PgFixture) {
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  // max_open_connections 4: one grouped transaction at a time, so requests queue and group.
  await engine.initialize({ config: { ...fx.config, max_open_connections: 4 }, verifyConnection: true }, ctx);
  return { ctx, engine };
}

t.test('30 concurrent creds share transactions, and every user works', async (t) => {
  const fx = await pgFixture(t);
  // Each creation records the id of the transaction it ran in.
  await fx.su('CREATE TABLE issued (name text, tx bigint)');
  await fx.su(`GRANT INSERT ON issued TO "${fx.admin}"`);
  const { ctx, engine } = await setup(t, fx);
  const role: DatabaseRole = {
    ...fx.groupRole,
    creation_statements: [...(fx.groupRole.creation_statements as string[]), `INSERT INTO issued VALUES ('{{name}}', txid_current())`],
  };
  const creds = await Promise.all(Array.from({ length: 30 }, () => issue(engine, ctx, 'app', role)));
  const { rows } = await fx.su<{ n: number; tx: number }>('SELECT count(*)::int AS n, count(DISTINCT tx)::int AS tx FROM issued');
  t.equal(rows[0].n, 30, 'thirty credentials created');
  t.ok(rows[0].tx < 30, `in fewer transactions than credentials (${rows[0].tx})`);
  const works = await Promise.all(creds.map((c) => fx.canSelect(c.data.username, c.data.password)));
  t.equal(works.filter(Boolean).length, 30, 'every one logs in and reads');
});

t.test('a request whose statements fail fails alone; the others in its group succeed', async (t) => {
  const fx = await pgFixture(t);
  const { ctx, engine } = await setup(t, fx);
  const bad: DatabaseRole = {
    ...fx.groupRole,
    creation_statements: [...(fx.groupRole.creation_statements as string[]), 'GRANT SELECT ON no_such_table TO "{{name}}"'],
  };
  const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => issue(engine, ctx, i % 4 === 0 ? 'bad' : 'app', i % 4 === 0 ? bad : fx.groupRole)));
  const failed = results.filter((r) => r.status === 'rejected');
  const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof issue>>> => r.status === 'fulfilled');
  t.equal(failed.length, 3, 'the three bad requests fail');
  for (const f of failed) t.match(String((f as PromiseRejectedResult).reason?.message), /no_such_table/, 'each with its own error');
  t.equal(ok.length, 9, 'the nine good requests succeed');
  const works = await Promise.all(ok.map((r) => fx.canSelect(r.value.data.username, r.value.data.password)));
  t.equal(works.filter(Boolean).length, 9, 'and their users work');
  const { rows } = await fx.su<{ n: number }>('SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE $1', [`${fx.tag}-%-bad-%`]);
  t.equal(rows[0].n, 0, 'nothing of the failed requests is left behind');
});

t.test('concurrent creds of a per-table GRANT role take turns instead of colliding', async (t) => {
  const fx = await pgFixture(t);
  const ctx = testEngineContext();
  const engine = postgres.create();
  t.teardown(() => engine.close());
  // 16 connections: two grouped transactions at once, so the two requests below run side by side.
  await engine.initialize({ config: { ...fx.config, max_open_connections: 16 }, verifyConnection: true }, ctx);
  // Each holds its GRANT on `items` uncommitted for a while, so the two always overlap.
  const slow: DatabaseRole = {
    ...fx.tableRole,
    creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON items TO "{{name}}"; SELECT pg_sleep(0.3);`,
  };
  const creds = await Promise.all([issue(engine, ctx, 'app', slow), issue(engine, ctx, 'app', slow)]);
  const works = await Promise.all(creds.map((c) => fx.canSelect(c.data.username, c.data.password)));
  t.same(works, [true, true], 'both users exist and read the table');
  t.same(ctx.logLines.filter((l) => /retried after a concurrent update/.test(l)), [],
    'neither transaction failed with "tuple concurrently updated" and had to be retried');
});

t.test('concurrent default revocations are grouped; one already gone does not hold up the rest', async (t) => {
  const fx = await pgFixture(t);
  const { ctx, engine } = await setup(t, fx);
  const creds = await Promise.all(Array.from({ length: 20 }, () => issue(engine, ctx, 'app', fx.groupRole)));
  // One user vanishes behind lessor's back (an operator dropped it).
  await fx.su(`DROP ROLE "${creds[5].data.username}"`);
  const live = await fx.login(creds[0].data.username, creds[0].data.password);
  t.ok(live, 'a session of a user about to be revoked is open');
  await Promise.all(creds.map((c) => engine.deleteCredential({ credentialId: c.id, roleName: 'app', role: fx.groupRole }, ctx)));
  const { rows } = await fx.su<{ n: number }>('SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE $1', [`${fx.tag}-%`]);
  t.equal(rows[0].n, 0, 'all twenty users are gone');
  const sessions = await fx.su<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [creds[0].data.username]);
  t.equal(sessions.rows[0].n, 0, 'and the open session was ended');
});

t.test('a role whose statements open or end a transaction is refused, and nothing is left open', async (t) => {
  const fx = await pgFixture(t);
  const { ctx, engine } = await setup(t, fx);
  const sneaky: DatabaseRole = { ...fx.groupRole, creation_statements: ['BEGIN', ...(fx.groupRole.creation_statements as string[])] };
  await t.rejects(issue(engine, ctx, 'sneaky', sneaky), /transaction control \("BEGIN"\) is not allowed/);
  const creds = await Promise.all(Array.from({ length: 8 }, () => issue(engine, ctx, 'app', fx.groupRole)));
  const works = await Promise.all(creds.map((c) => fx.canSelect(c.data.username, c.data.password)));
  t.equal(works.filter(Boolean).length, 8, 'the next credentials are committed and work');
});
