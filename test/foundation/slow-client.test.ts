// A client that sends its headers and then trickles (or never sends) the body must not hold a
// connection for ever: the request is cut with a 408 once its time is up, and other clients are
// served meanwhile.
import t from 'tap';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';

const TIMEOUT_MS = 800;

/** Sends a request head that promises a body and then only part of it; resolves with what the server wrote before closing. */
function stalledRequest(port: number): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
    socket.write('PUT /v1/sys/health HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":');
  });
}

t.test('a request whose body never arrives is answered 408 and its socket closed', async (t) => {
  const app = await buildApp({ log: createLogger('silent'), metrics: createMetrics(), health: [], requestTimeoutMs: TIMEOUT_MS });
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;

  const stalled = stalledRequest(port);
  const health = await fetch(`http://127.0.0.1:${port}/v1/sys/health`);
  t.equal(health.status, 200, 'other clients are answered while one stalls');

  const { answer, closedAfterMs } = await stalled;
  t.match(answer, /^HTTP\/1\.1 408 /, 'the stalled request gets a 408');
  t.match(answer, /"errors":\["the request was not received in time"\]/, "in Vault's error shape");
  t.ok(closedAfterMs >= TIMEOUT_MS, `not before its time (${closedAfterMs} ms)`);
  // Node checks overdue requests on an interval (a quarter of the timeout here), so the cut comes
  // within about one timeout plus one interval; 10 s only guards against "never".
  t.ok(closedAfterMs < 10_000, `and not never (${closedAfterMs} ms)`);
});
