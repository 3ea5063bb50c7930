/**
 * Group commit for one PostgreSQL target. Requests that arrive while `maxInFlight` batches are
 * already running wait, and the next free slot runs everything waiting as one batch: one round
 * trip and one commit for many credentials instead of one each. Under light load nothing waits
 * and a batch is a single request, so latency is unchanged.
 *
 * A batch that fails is re-run one job at a time, so a request fails only for its own error,
 * never for another's: a duplicate name or a bad statement in one role costs the others a second
 * round trip, not their credential. The re-runs take turns in the failed batch's slot: run all at
 * once they were up to `maxBatch` extra transactions granting on the same tables, and their
 * "tuple concurrently updated" collisions outlasted the retries (bench pg-creds grant20, c=16).
 */
export interface GroupOptions<J> {
  /** Batches running at once (each holds one connection). */
  maxInFlight: number;
  /** Jobs per batch at most: bounds the size of one transaction. */
  maxBatch: number;
  /** Runs jobs all-or-nothing (one transaction); called with a single job on a re-run. */
  run(jobs: J[]): Promise<void>;
}

interface Waiting<J> {
  job: J;
  resolve(): void;
  reject(err: unknown): void;
}

export class GroupRunner<J> {
  private readonly queue: Waiting<J>[] = [];
  private running = 0;

  constructor(private readonly opts: GroupOptions<J>) {}

  submit(job: J): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.running < this.opts.maxInFlight) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.running++;
      void this.runBatch(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async runBatch(batch: Waiting<J>[]): Promise<void> {
    try {
      await this.opts.run(batch.map((w) => w.job));
      for (const w of batch) w.resolve();
      return;
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reject(err);
        return;
      }
    }
    for (const w of batch) {
      try {
        await this.opts.run([w.job]);
        w.resolve();
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
