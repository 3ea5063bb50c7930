// Two replicas starting at the same moment must not both apply a migration: the advisory lock
// serialises them and the second one finds every file already recorded.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../src/db/migrate.js';
import { PgStore } from '../../src/db/pg-store.js';
import { freshPgDatabase } from '../helpers/context.js';

t.test('two stores migrating at once apply each file exactly once', async (t) => {
  const url = await freshPgDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'lessor-mig-'));
  // A migration that fails if it runs twice (no IF NOT EXISTS) and records each run.
  writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE runs (n serial PRIMARY KEY); INSERT INTO runs DEFAULT VALUES;');
  writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE second_table (id int); INSERT INTO runs DEFAULT VALUES;');
  const a = new PgStore(url);
  const b = new PgStore(url);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const [appliedA, appliedB] = await Promise.all([migrate(a, dir), migrate(b, dir)]);
  t.same([...appliedA, ...appliedB].sort(), ['0001_a.sql', '0002_b.sql'], 'each file applied by exactly one replica');
  const { rows } = await a.query<{ count: string }>('SELECT count(*)::text AS count FROM runs');
  t.equal(rows[0].count, '2', 'each migration body ran once');
  t.same(await migrate(a, dir), [], 'a later start applies nothing');
});

t.test('a failing migration rolls back and is not recorded', async (t) => {
  const url = await freshPgDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'lessor-mig-'));
  writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE ok_table (id int);');
  writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE half_done (id int); SELECT no_such_function();');
  const store = new PgStore(url);
  t.teardown(() => store.close());
  await t.rejects(migrate(store, dir), /no_such_function/);
  const { rows } = await store.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
  t.same(rows.map((r) => r.name), ['0001_ok.sql']);
  const half = await store.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
  t.equal(half.rowCount, 0, 'the failed file left nothing behind');
});
