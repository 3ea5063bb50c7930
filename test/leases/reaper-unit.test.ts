// Reaper details that need no server: the default retry schedule, concurrency per engine config,
// and scrubbing of secrets out of engine errors.
import t from 'tap';
import { DEFAULT_BACKOFF, LeaseRevoker } from '../../src/leases/lease-revoker.js';
import { scrub, secretsOf, toHttpError } from '../../src/engines/engine-errors.js';
import { EngineError } from '../../plugins/sdk/index.js';
import { bulkLeases } from './bulk.js';
import { fakeSetup } from './fake-setup.js';
import { inFlight } from '../helpers/fake-engine/index.js';

t.test('the default schedule: 18 attempts spread over about 24 hours, with jitter', async (t) => {
  const noJitter = new LeaseRevoker({ backoff: DEFAULT_BACKOFF, random: () => 0.5 } as never);
  let total = 0;
  for (let attempt = 1; attempt < DEFAULT_BACKOFF.maxAttempts; attempt++) total += noJitter.nextDelay(attempt);
  t.equal(DEFAULT_BACKOFF.maxAttempts, 18);
  t.ok(total > 22 * 3600_000 && total < 26 * 3600_000, `last attempt after ${(total / 3600_000).toFixed(1)} h`);
  t.equal(noJitter.nextDelay(1), 10_000, 'first retry after 10 s');
  t.equal(noJitter.nextDelay(30), 3 * 3600_000, 'capped at 3 h');
  const low = new LeaseRevoker({ backoff: DEFAULT_BACKOFF, random: () => 0 } as never).nextDelay(3);
  const high = new LeaseRevoker({ backoff: DEFAULT_BACKOFF, random: () => 0.999999 } as never).nextDelay(3);
  t.ok(low >= 32_000 && high <= 48_000 && high - low > 15_000, 'jitter spreads retries ±20 %');
});

t.test('secrets are scrubbed from engine errors, URL passwords included', async (t) => {
  const secrets = secretsOf(['postgres://admin:p%40ss-w0rd@db:5432/x', { password: 'hunter2hunter2', username: 'bob' }]);
  const msg = scrub('login failed for postgres://admin:p%40ss-w0rd@db:5432/x (p@ss-w0rd, hunter2hunter2, bob)', secrets);
  t.notMatch(msg, /p%40ss|p@ss|hunter2/);
  t.match(msg, /bob/, 'non-secret fields are kept: messages stay useful');
  const http = toHttpError(new EngineError('config', 'bad password hunter2hunter2'), secrets) as Error & { statusCode: number };
  t.equal(http.statusCode, 400);
  t.notMatch(http.message, /hunter2/);
  t.equal((toHttpError(new EngineError('unavailable', 'down')) as Error & { statusCode: number }).statusCode, 503);
  t.equal((toHttpError(new EngineError('upstream', 'no')) as Error & { statusCode: number }).statusCode, 502);
  t.equal((toHttpError(new EngineError('not_found', 'no')) as Error & { statusCode: number }).statusCode, 404);
  t.equal((toHttpError(new Error('driver exploded')) as Error & { statusCode: number }).statusCode, 502, 'an unexpected engine error is an upstream failure, not a 500');
});

t.test('revocations run concurrently, bounded per engine config', async (t) => {
  const f = await fakeSetup(t, { config: { revoke_delay_ms: 30 }, tuning: { reaper: { batchSize: 100, concurrencyPerConfig: 4 } } });
  const now = Date.now();
  await bulkLeases(f.tr.rt.leases.store, 60, { now: now - 10_000, expireAt: now - 1000 });
  inFlight.max = 0;
  const run = await f.tr.rt.reaper.runOnce();
  t.equal(run.revoked, 60);
  t.equal(inFlight.max, 4, 'exactly the configured concurrency, never more');
});

t.test('batches overlap: the next is claimed once the last of this one started, under the same bound', async (t) => {
  // Batches of 3 with 4 slots: revoking batch by batch could never have more than 3 at once.
  const f = await fakeSetup(t, { config: { revoke_delay_ms: 200 }, tuning: { reaper: { batchSize: 3, concurrencyPerConfig: 4 } } });
  const now = Date.now();
  await bulkLeases(f.tr.rt.leases.store, 12, { now: now - 10_000, expireAt: now - 1000 });
  inFlight.max = 0;
  const run = await f.tr.rt.reaper.runOnce();
  t.equal(run.revoked, 12, 'every lease revoked in one sweep');
  t.equal(inFlight.max, 4, 'the fourth slot filled from the next batch, and never a fifth');
});

