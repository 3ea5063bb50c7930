// 50 concurrent creds requests through the HTTP API (lease + engine together) give 50 distinct
// working users, on PostgreSQL (per-table GRANTs, the colliding case) and on MariaDB.
import t from 'tap';
import { mariadbHttp, pgHttp } from './http-setup.js';

t.test('PostgreSQL: 50 concurrent GET database/creds', async (t) => {
  const { tr, fx } = await pgHttp(t);
  t.equal((await tr.call('POST', 'database/roles/table', { body: { ...fx.tableRole, db_name: 'pg' } })).status, 204);
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: 50 }, () => tr.call('GET', 'database/creds/table')));
  t.comment(`50 concurrent HTTP creds on PostgreSQL (per-table GRANT): ${Math.round(performance.now() - started)} ms`);
  t.same(answers.map((a) => a.status), Array(50).fill(200), 'all 200');
  t.equal(new Set(answers.map((a) => a.body.data.username)).size, 50, '50 distinct users');
  let ok = 0;
  for (let i = 0; i < 50; i += 10) {
    ok += (await Promise.all(answers.slice(i, i + 10).map((a) => fx.canSelect(a.body.data.username, a.body.data.password)))).filter(Boolean).length;
  }
  t.equal(ok, 50, 'all 50 log in and SELECT');
  t.equal((await tr.rt.leases.store.listPrefix('database/')).length, 50, '50 leases');
});

t.test('MariaDB: 50 concurrent GET database/creds', async (t) => {
  const { tr, fx } = await mariadbHttp(t);
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: 50 }, () => tr.call('GET', 'database/creds/reader')));
  t.comment(`50 concurrent HTTP creds on MariaDB: ${Math.round(performance.now() - started)} ms`);
  t.same(answers.map((a) => a.status), Array(50).fill(200), 'all 200');
  t.equal(new Set(answers.map((a) => a.body.data.username)).size, 50, '50 distinct users');
  let ok = 0;
  for (let i = 0; i < 50; i += 10) {
    ok += (await Promise.all(answers.slice(i, i + 10).map((a) => fx.canSelect(a.body.data.username, a.body.data.password)))).filter(Boolean).length;
  }
  t.equal(ok, 50, 'all 50 log in and SELECT');
});
