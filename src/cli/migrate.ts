import { loadConfig } from '../config.js';
import { migrate } from '../db/migrate.js';
import { openSqlStore } from '../db/open-store.js';
import { fail } from './index.js';

export async function runMigrate(): Promise<void> {
  try {
    const config = loadConfig('dev');
    const store = await openSqlStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    const applied = await migrate(store);
    await store.close();
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'config store is up to date\n');
  } catch (err) {
    fail(err);
  }
}
