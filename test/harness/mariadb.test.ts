// The shared MariaDB needs the root password on every route, and
// freshMariadbDatabase gives isolated databases that are dropped at teardown.
import t from 'tap';
import mysql from 'mysql2/promise';
import { freshMariadbDatabase, sharedMariadb } from '../helpers/context.js';

async function query(url: string, sql: string): Promise<unknown[]> {
  const c = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
  try {
    const [rows] = await c.query(sql);
    return rows as unknown[];
  } finally {
    await c.end();
  }
}

t.test('root password required', async (t) => {
  const info = await sharedMariadb();
  t.not(info.port, 3306, 'never the system server');
  for (const host of ['127.0.0.1', 'localhost']) {
    await t.rejects(
      mysql.createConnection({ host, port: info.port, user: 'root', password: 'wrong', connectTimeout: 5000 }),
      { code: 'ER_ACCESS_DENIED_ERROR' }, `wrong password refused via ${host}`);
    await t.rejects(
      mysql.createConnection({ host, port: info.port, user: 'root', connectTimeout: 5000 }),
      { code: 'ER_ACCESS_DENIED_ERROR' }, `no password refused via ${host}`);
  }
  t.same(await query(info.url, 'SELECT 1 AS one'), [{ one: 1 }], 'right password accepted');
});

t.test('freshMariadbDatabase isolates and cleans up', async (t) => {
  const info = await sharedMariadb();
  let name = '';
  await t.test('two databases', async (t) => {
    const a = await freshMariadbDatabase(t);
    const b = await freshMariadbDatabase(t);
    name = new URL(a).pathname.slice(1);
    await query(a, 'CREATE TABLE only_in_a (id INT)');
    t.same(await query(a, 'SHOW TABLES'), [{ [`Tables_in_${name}`]: 'only_in_a' }]);
    t.same(await query(b, 'SHOW TABLES'), [], 'table not visible in the other database');
  });
  t.same(await query(info.url, `SHOW DATABASES LIKE '${name}'`), [], 'database dropped at teardown');
});
