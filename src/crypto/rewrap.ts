import type { Logger } from 'pino';
import type { SqlStore } from '../db/sql-store.js';
import type { Keyring } from './keyring.js';

/**
 * Background rewrap after `sys/rotate`: every store that keeps sealed values registers a task,
 * and the job walks them moving ciphertexts to the current term. Until it has run, old terms
 * simply keep opening; the job is an optimisation of exposure, never of correctness.
 */
export interface RewrapTask {
  name: string;
  /** Rewraps up to `limit` values sealed under a term older than `term`; returns how many it changed. */
  run(rewrap: (sealed: string, aad?: string) => Promise<string | undefined>, limit: number, term: number): Promise<number>;
}

export interface SealedColumn {
  table: string;
  /** Columns that identify a row. */
  keyColumns: string[];
  /** A text column holding one sealed string (or NULL). */
  column: string;
  /** The associated data the value was sealed with, from the row's key columns. */
  aad?: (row: Record<string, unknown>) => string;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A rewrap task for a plain text column of sealed strings. */
export function sealedColumnTask(sql: SqlStore, c: SealedColumn): RewrapTask {
  return {
    name: `${c.table}.${c.column}`,
    async run(rewrap, limit, term) {
      const cols = [...c.keyColumns, c.column].map(ident).join(', ');
      // Only values still behind: a plain LIMIT would pick the same first rows on every pass,
      // and rows past them would never move once those were current.
      const { rows } = await sql.query<Record<string, unknown>>(
        `SELECT ${cols} FROM ${ident(c.table)}
          WHERE substring(${ident(c.column)} from '^lsr:v1:([0-9]+):')::int < $1 LIMIT ${Number(limit)}`,
        [term],
      );
      let changed = 0;
      for (const row of rows) {
        const old = String(row[c.column]);
        const fresh = await rewrap(old, c.aad?.(row) ?? '');
        if (!fresh) continue;
        const where = c.keyColumns.map((k, i) => `${ident(k)} = $${i + 2}`).join(' AND ');
        // Compare-and-set: a concurrent write of a new value wins over our rewrap.
        const res = await sql.query(
          `UPDATE ${ident(c.table)} SET ${ident(c.column)} = $1 WHERE ${where} AND ${ident(c.column)} = $${c.keyColumns.length + 2}`,
          [fresh, ...c.keyColumns.map((k) => row[k]), old],
        );
        changed += res.rowCount;
      }
      return changed;
    },
  };
}

export class RewrapJob {
  private tasks: RewrapTask[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(private readonly ring: Keyring, private readonly log: Logger) {}

  register(task: RewrapTask): void {
    this.tasks.push(task);
  }

  /** One pass over every task; returns the number of values moved to the current term. */
  runOnce(limit = 500): Promise<number> {
    if (!this.running) {
      this.running = (async () => {
        let total = 0;
        let term: number;
        try {
          ({ term } = await this.ring.refreshedStatus());
        } catch (err) {
          this.log.warn({ err }, 'rewrap skipped: the keyring could not be read; will retry');
          return 0;
        }
        for (const task of this.tasks) {
          try {
            total += await task.run((sealed, aad) => this.ring.rewrap(sealed, aad), limit, term);
          } catch (err) {
            this.log.warn({ err, task: task.name }, 'rewrap failed; will retry');
          }
        }
        if (total > 0) this.log.info({ rewrapped: total, term: this.ring.status().term }, 'sealed values rewrapped');
        return total;
      })().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  start(intervalMs = 60_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
