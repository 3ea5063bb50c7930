// Group commit's promises: waiting requests share a batch, a failed batch fails only the request
// at fault, and no more than maxInFlight transactions ever run at once, re-runs included (more
// at once was what made concurrent GRANTs collide past their retries).
import t from 'tap';
import { GroupRunner } from '../../plugins/postgres/group-commit.js';

/** A run() that records batch sizes and the most runs at once, and fails on any job named "bad". */
function recorder() {
  const seen = { batches: [] as number[], running: 0, most: 0 };
  const release: Array<() => void> = [];
  const run = async (jobs: string[]) => {
    seen.batches.push(jobs.length);
    seen.most = Math.max(seen.most, ++seen.running);
    // Held until the test lets it go, so every job submitted meanwhile has to wait.
    await new Promise<void>((r) => release.push(r));
    seen.running--;
    if (jobs.includes('bad')) throw new Error(`bad job among ${jobs.length}`);
  };
  const drain = async (done: Promise<unknown>) => {
    let settled = false;
    void done.finally(() => (settled = true));
    while (!settled) {
      release.splice(0).forEach((r) => r());
      await new Promise((r) => setImmediate(r));
    }
  };
  return { seen, run, drain };
}

t.test('requests that wait for a slot share the next batch', async (t) => {
  const { seen, run, drain } = recorder();
  const g = new GroupRunner<string>({ maxInFlight: 1, maxBatch: 32, run });
  const all = Promise.all(['a', 'b', 'c', 'd', 'e'].map((j) => g.submit(j)));
  await drain(all);
  t.same(seen.batches, [1, 4], 'the first runs alone, the four that waited run as one batch');
});

t.test('a failed batch fails only its bad request, and its re-runs stay within maxInFlight', async (t) => {
  const { seen, run, drain } = recorder();
  const g = new GroupRunner<string>({ maxInFlight: 2, maxBatch: 32, run });
  const jobs = ['first', 'second', ...Array.from({ length: 10 }, (_, i) => (i === 3 ? 'bad' : `j${i}`))];
  const results = Promise.allSettled(jobs.map((j) => g.submit(j)));
  await drain(results);
  const settled = await results;
  t.same(settled.map((r) => r.status), jobs.map((j) => (j === 'bad' ? 'rejected' : 'fulfilled')), 'only the bad request fails');
  t.match(String((settled[jobs.indexOf('bad')] as PromiseRejectedResult).reason), /bad job among 1\b/, 'with the error of its own re-run');
  t.ok(seen.batches.includes(10), 'the ten that waited were first tried as one batch');
  t.equal(seen.most, 2, 'never more than two transactions at once');
});
