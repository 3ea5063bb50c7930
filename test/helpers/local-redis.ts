// A throwaway redis-server from the local binary, in the foreground as our child.
import { connect } from 'node:net';
import { Daemon, freePort, localLifecycle } from './proc.js';
import { makeServerDir, register } from './registry.js';
import type { ServerHandle, StartOptions } from './servers.js';

export const REDIS_BIN = '/usr/bin/redis-server';

export async function startLocalRedis(opts: StartOptions = {}): Promise<ServerHandle> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const dir = makeServerDir('redis');
  const port = await freePort();
  const daemon = new Daemon(`redis on port ${port}`, dir, REDIS_BIN, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no',
    // AOF on (restart tests read data back); RDB snapshots off, they only cost time.
    '--appendonly', 'yes', '--save', '', '--logfile', '',
  ], { stopSignal: 'SIGTERM' /* redis flushes the AOF on SIGTERM */, exitSignal: 'SIGKILL' });
  const unregister = register(daemon);
  const ready = () => daemon.waitReady(timeoutMs, () => ping(port));

  const handle: ServerHandle = {
    kind: 'redis', host: '127.0.0.1', port, user: 'default', password: '', dir,
    url: (db?: string) => `redis://127.0.0.1:${port}${db ? `/${db}` : ''}`,
    ...localLifecycle(daemon, port, ready, unregister),
  };
  try {
    daemon.start();
    await ready();
  } catch (err) {
    await handle.destroy().catch(() => {});
    throw err;
  }
  return handle;
}

/** Raw RESP PING: true only on +PONG, so "-LOADING" (AOF replay in progress) counts as not ready. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setTimeout(2000, () => { s.destroy(); reject(new Error('PING timed out')); });
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (!buf.includes('\r\n')) return;
      s.destroy();
      if (buf.startsWith('+PONG')) resolve(true);
      else reject(new Error(`PING answered ${buf.trim()}`));
    });
    s.once('error', reject);
  });
}
