// The process under test, started by bench/lib/child.ts with fork(): either a whole lessor
// (createRuntime, what `lessor server` runs) or the baseline, a bare fastify app answering a
// constant 200-byte JSON (and, for the renewal and verify floors, their raw work behind a bare route). Both run alone in their own process, so on this 2-core machine the
// load generator and the server do not share an event loop. Sends {port} once listening.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import Fastify from 'fastify';
import { loadConfig } from '../src/config.js';
import { createRuntime } from '../src/runtime.js';
import { rawRenewer, type RenewalTarget } from './lib/raw-renewal.js';
import { rawVerifier, type VerifyTarget } from './lib/raw-verify.js';

/** 200 bytes of JSON, the ceiling's answer. */
export const CONSTANT_BODY = JSON.stringify({ request_id: '00000000-0000-0000-0000-000000000000', data: { valid: true, key_id: 'k', role: 'bench', scopes: [], metadata: {}, pad: 'x'.repeat(44) } });

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === 'baseline') {
    const app = Fastify({ logger: false });
    const send = async () => CONSTANT_BODY;
    app.get('/constant', send);
    app.post('/constant', send);
    // The renewal floor (bench/workloads/renew.ts): the raw renewal's Redis work, nothing else.
    let renewer: ReturnType<typeof rawRenewer> | undefined;
    app.post('/renew-floor/setup', async (req) => {
      renewer?.close();
      renewer = rawRenewer(req.body as RenewalTarget, { autoPipelining: true });
      return {};
    });
    let verifier: ReturnType<typeof rawVerifier> | undefined;
    app.post('/verify-floor/setup', async (req) => {
      verifier?.close();
      verifier = rawVerifier(req.body as VerifyTarget);
      return {};
    });
    app.post('/verify-floor', async (req) => ({ request_id: req.id, data: await verifier!.verify(String((req.body as { api_key: string }).api_key)) }));
    app.post('/renew-floor', async (req) => {
      const { lease_id, key_id } = req.body as { lease_id: string; key_id: string };
      await renewer!.renew(lease_id, key_id);
      return CONSTANT_BODY;
    });
    const addr = await app.listen({ host: '127.0.0.1', port: 0 });
    process.send?.({ port: Number(new URL(addr).port) });
    process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
    return;
  }
  const config = loadConfig('server', { ...process.env, LESSOR_LISTEN: '127.0.0.1:0' });
  const rt = await createRuntime(config);
  const addr = await rt.app.listen({ host: '127.0.0.1', port: 0 });
  if (process.env.BENCH_NO_BACKGROUND !== '1') rt.startBackground();
  process.send?.({ port: Number(new URL(addr).port) });
  // CPU profiles of just the measured window (the bench sends profile-start / profile-stop
  // around lessor's trials), so startup and the raw side's trials do not dilute them.
  let session: Session | undefined;
  process.on('message', async (m: { cmd?: string; file?: string }) => {
    if (m?.cmd === 'profile-start') {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
      process.send?.({ ack: 'profile-start' });
    }
    if (m?.cmd === 'profile-stop' && session) {
      const { profile } = await session.post('Profiler.stop');
      if (m.file) writeFileSync(m.file, JSON.stringify(profile));
      session.disconnect();
      session = undefined;
      process.send?.({ ack: 'profile-stop' });
    }
    if (m?.cmd === 'reaper-stop') void rt.reaper.stop().then(() => process.send?.({ ack: 'reaper-stop' }));
    if (m?.cmd === 'reaper-start') {
      rt.reaper.start();
      process.send?.({ ack: 'reaper-start' });
    }
  });
  process.on('SIGTERM', () => void rt.close().finally(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`bench child failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
