// One store interface, two drivers: the same behaviour on PostgreSQL and on embedded PGlite.
import t from 'tap';
import { migrate } from '../../src/db/migrate.js';
import { PgStore } from '../../src/db/pg-store.js';
import { PgliteStore } from '../../src/db/pglite-store.js';
import type { SqlStore } from '../../src/db/sql-store.js';
import { freshPgDatabase, type Teardown } from '../helpers/context.js';

const drivers: Array<[string, (t: Teardown) => Promise<SqlStore>]> = [
  ['postgres', async (t) => new PgStore(await freshPgDatabase(t))],
  ['pglite', async () => PgliteStore.open()],
];

for (const [name, open] of drivers) {
  t.test(`${name}: the store contract`, async (t) => {
    const store = await open(t);
    t.teardown(() => store.close());
    t.equal(store.driver, name);
    t.ok((await migrate(store)).includes('0001_install.sql'), 'the project migrations apply');
    await store.exec('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');

    const ins = await store.query('INSERT INTO items (id, name) VALUES ($1, $2), ($3, $4)', [1, 'a', 2, 'b']);
    t.equal(ins.rowCount, 2, 'rowCount counts inserted rows');
    const sel = await store.query<{ id: number; name: string }>('SELECT id, name FROM items WHERE id = $1', [2]);
    t.same(sel.rows, [{ id: 2, name: 'b' }]);
    t.equal(sel.rowCount, 1, 'rowCount counts selected rows');

    await t.rejects(
      store.transaction(async (tx) => {
        await tx.query('INSERT INTO items (id, name) VALUES ($1, $2)', [3, 'c']);
        throw new Error('abort');
      }),
      /abort/,
    );
    const after = await store.query('SELECT 1 FROM items WHERE id = 3');
    t.equal(after.rowCount, 0, 'a throwing transaction rolls back');

    const n = await store.transaction(async (tx) => {
      await tx.query('INSERT INTO items (id, name) VALUES ($1, $2)', [4, 'd']);
      const r = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
      return r.rows[0].n;
    });
    t.equal(n, 3, 'a transaction sees its own writes and returns its value');
    await t.resolves(store.ping());
  });
}
