import { LessorError } from '../errors.js';
import type { SqlQueryable, SqlStore } from './sql-store.js';

/**
 * A partial write of one settings row (Vault's "fields not sent keep their value"): read under
 * a row lock, merge, write back, all in one transaction. Two partial writes of one row then
 * apply one after the other, the second merging over the first, instead of the later one
 * putting back fields it read before the earlier one landed.
 *
 * `read` must lock the row (SELECT … FOR UPDATE). A row that does not exist locks nothing, so
 * `write` inserts it with ON CONFLICT DO NOTHING and answers false when another write created
 * it first; the whole step then runs again, over that row.
 */
export async function mergeRow<R>(sql: SqlStore, steps: {
  read(tx: SqlQueryable): Promise<R | undefined>;
  write(tx: SqlQueryable, prev: R | undefined): Promise<boolean>;
}): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await sql.transaction(async (tx) => steps.write(tx, await steps.read(tx)))) return;
  }
  throw new LessorError('CONFLICT', 'the row kept being created and deleted by other writes; try again');
}
