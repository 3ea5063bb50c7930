// The shared PostgreSQL really enforces scram passwords, and freshPgDatabase
// gives each caller its own database that disappears at teardown.
import t from 'tap';
import pg from 'pg';
import { freshPgDatabase, sharedPostgres } from '../helpers/context.js';

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.query(sql);
  } finally {
    // Also after a failed connect: pg may leave the socket open mid-handshake,
    // keeping this process alive until the server's authentication_timeout.
    await c.end().catch(() => {});
  }
}

t.test('password auth', async (t) => {
  const info = await sharedPostgres();
  t.not(info.port, 5432, 'never the system server');
  const wrong = new URL(info.url);
  wrong.password = 'not-the-password';
  await t.rejects(query(wrong.toString(), 'select 1'), { code: '28P01' }, 'wrong password refused');
  const noPw = new URL(info.url);
  noPw.password = '';
  await t.rejects(query(noPw.toString(), 'select 1'), 'missing password refused');
  const res = await query(info.url, "select current_setting('password_encryption') as enc, rolpassword from pg_authid where rolname = 'postgres'");
  t.equal(res.rows[0].enc, 'scram-sha-256');
  t.match(res.rows[0].rolpassword, /^SCRAM-SHA-256\$/, 'superuser password stored as scram');
});

t.test('freshPgDatabase isolates and cleans up', async (t) => {
  const info = await sharedPostgres();
  let firstName = '';
  await t.test('two databases', async (t) => {
    const a = await freshPgDatabase(t);
    const b = await freshPgDatabase(t);
    t.not(a, b);
    firstName = new URL(a).pathname.slice(1);
    await query(a, 'create table only_in_a (id int)');
    const inA = await query(a, "select count(*)::int as n from pg_tables where tablename = 'only_in_a'");
    const inB = await query(b, "select count(*)::int as n from pg_tables where tablename = 'only_in_a'");
    t.equal(inA.rows[0].n, 1);
    t.equal(inB.rows[0].n, 0, 'table not visible in the other database');
    // An open connection must not stop teardown from dropping the database.
    const lingering = new pg.Client({ connectionString: a });
    lingering.on('error', () => {});
    await lingering.connect();
  });
  const left = await query(info.url, `select count(*)::int as n from pg_database where datname = '${firstName}'`);
  t.equal(left.rows[0].n, 0, 'database dropped at teardown');
});
