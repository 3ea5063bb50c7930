// A throwaway PostgreSQL cluster from the local binaries (initdb + postgres).
import { chownSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Daemon, freePort, localLifecycle, osUser, randomSecret, runSync } from './proc.js';
import { makeServerDir, register } from './registry.js';
import type { ServerHandle, StartOptions } from './servers.js';

/** Newest installed PostgreSQL bin dir (Debian layout), or undefined. */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

export async function startLocalPostgres(bin: string, opts: StartOptions = {}): Promise<ServerHandle> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dir = makeServerDir('pg');
  // PostgreSQL refuses to run as root; run both initdb and postgres as the
  // `postgres` account instead, which then must own the whole temp dir.
  const as: { uid?: number; gid?: number } = process.getuid?.() === 0 ? osUser('postgres') : {};
  const password = randomSecret();
  const data = join(dir, 'data');
  writeFileSync(join(dir, 'pwfile'), password + '\n');
  if (as.uid !== undefined && as.gid !== undefined) {
    chownSync(dir, as.uid, as.gid);
    chownSync(join(dir, 'pwfile'), as.uid, as.gid);
  }

  const port = await freePort();
  const daemon = new Daemon(`postgres on port ${port}`, dir, join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
    // Speed over durability: the data is thrown away; restart tests use clean shutdowns.
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    '-c', 'max_connections=300', '-c', 'shared_buffers=16MB', '-c', 'logging_collector=off',
  ], { ...as, stopSignal: 'SIGINT' /* fast shutdown: don't wait for clients */, exitSignal: 'SIGQUIT' });
  const unregister = register(daemon);

  const url = (db = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(db)}`;

  const ready = () => daemon.waitReady(timeoutMs, async () => {
    const c = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 2000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } finally {
      await c.end().catch(() => {});
    }
  });

  const handle: ServerHandle = {
    kind: 'postgres', host: '127.0.0.1', port, user: 'postgres', password, url, dir,
    ...localLifecycle(daemon, port, ready, unregister),
  };

  try {
    runSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${join(dir, 'pwfile')}`,
      '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], { ...as, cwd: dir });
    daemon.start();
    await ready();
  } catch (err) {
    await handle.destroy().catch(() => {});
    throw err;
  }
  return handle;
}
