// A throwaway MariaDB server from the local binaries (mariadb-install-db + mariadbd).
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { Daemon, freePort, localLifecycle, randomSecret, runSync } from './proc.js';
import { makeServerDir, register } from './registry.js';
import type { ServerHandle, StartOptions } from './servers.js';

export const MARIADB_BINS = { install: '/usr/bin/mariadb-install-db', server: '/usr/sbin/mariadbd' };

export async function startLocalMariadb(opts: StartOptions = {}): Promise<ServerHandle> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dir = makeServerDir('mariadb');
  const data = join(dir, 'data');
  const password = randomSecret();
  // mariadbd refuses root unless told explicitly; the dir is ours and temporary anyway.
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  const port = await freePort();
  const daemon = new Daemon(`mariadb on port ${port}`, dir, MARIADB_BINS.server, [
    // --no-defaults: never pick up /etc/mysql (the system server's port, socket, datadir).
    '--no-defaults', ...asRoot, `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`, `--pid-file=${join(dir, 'mysqld.pid')}`,
    // No DNS lookups per connection; clients from 127.0.0.1 then match root@'%' / root@'127.0.0.1'.
    '--skip-name-resolve', '--max-connections=300',
    '--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci',
    // Speed over durability: the data is thrown away.
    '--innodb-buffer-pool-size=32M', '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--skip-log-bin',
  ], { stopSignal: 'SIGTERM', exitSignal: 'SIGKILL' });
  const unregister = register(daemon);

  let passwordSet = false; // a fresh datadir has a password-less root until setRootPassword()
  const connect = () => mysql.createConnection({
    host: '127.0.0.1', port, user: 'root', password: passwordSet ? password : '', connectTimeout: 2000,
  });
  const ready = () => daemon.waitReady(timeoutMs, async () => {
    const c = await connect();
    try {
      await c.query('SELECT 1');
      return true;
    } finally {
      await c.end().catch(() => {});
    }
  });

  const handle: ServerHandle = {
    kind: 'mariadb', host: '127.0.0.1', port, user: 'root', password, dir,
    url: (db = '') => `mysql://root:${password}@127.0.0.1:${port}/${encodeURIComponent(db)}`,
    ...localLifecycle(daemon, port, ready, unregister),
  };

  try {
    runSync(MARIADB_BINS.install, ['--no-defaults', ...asRoot, `--datadir=${data}`,
      '--auth-root-authentication-method=normal', '--skip-test-db'], { cwd: dir });
    daemon.start();
    await ready();
    const c = await connect();
    try {
      await setRootPassword(c, password);
    } finally {
      await c.end();
    }
    passwordSet = true;
  } catch (err) {
    await handle.destroy().catch(() => {});
    throw err;
  }
  return handle;
}

/**
 * install-db creates password-less root@localhost/127.0.0.1/::1/<hostname>.
 * Give every remaining root account the password and add root@'%' so any
 * local address (and the Docker-style URL) needs it.
 */
async function setRootPassword(c: mysql.Connection, password: string): Promise<void> {
  const keep = new Set(['localhost', '127.0.0.1', '::1']);
  const [rows] = await c.query<mysql.RowDataPacket[]>("SELECT Host FROM mysql.user WHERE User = 'root'");
  for (const { Host } of rows) {
    if (keep.has(Host)) await c.query('ALTER USER ?@? IDENTIFIED BY ?', ['root', Host, password]);
    else await c.query('DROP USER ?@?', ['root', Host]);
  }
  await c.query("CREATE USER 'root'@'%' IDENTIFIED BY ?", [password]);
  await c.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION");
  await c.query('FLUSH PRIVILEGES');
}
