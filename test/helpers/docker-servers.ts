// Fallback for machines without the server binaries: the same three servers in
// Docker via testcontainers. Ports are bound to fixed host ports so that
// stop()/start() keeps the address, like the local servers do. Containers left
// behind by a killed process are removed by testcontainers' own reaper (Ryuk).
import type { StartedTestContainer } from 'testcontainers';
import { freePort, randomSecret } from './proc.js';
import type { ServerHandle, ServerKind, StartOptions } from './servers.js';

/**
 * Why Docker can't be used, or undefined if a container runtime answers. Never
 * throws. Note testcontainers 12 needs Node >= 22.22 (its undici uses zstd);
 * on older Node the import itself fails, and that is reported here.
 */
export async function dockerProblem(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return undefined;
  } catch (err) {
    const msg = String((err as Error).message ?? err).split('\n')[0];
    return process.versions.node.split('.').map(Number)[0] < 22 ? `testcontainers needs Node >= 22.22: ${msg}` : msg;
  }
}

function lifecycle(kind: ServerKind, started: StartedTestContainer, hostPort: number):
  Pick<ServerHandle, 'start' | 'stop' | 'destroy'> {
  const container = async () => {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    return { client, c: client.container.getById(started.getId()) };
  };
  return {
    async stop() {
      const { client, c } = await container();
      await client.container.stop(c, { timeout: 10 });
    },
    async start() {
      const { client, c } = await container();
      await client.container.start(c);
      const { portOpen, waitUntil } = await import('./proc.js');
      await waitUntil(`${kind} container on port ${hostPort}`, 60_000, () => portOpen(hostPort));
    },
    async destroy() {
      await started.stop({ remove: true, removeVolumes: true });
    },
  };
}

export async function startDockerPostgres(_opts: StartOptions = {}): Promise<ServerHandle> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const password = randomSecret();
  const port = await freePort();
  // The official image uses scram-sha-256 for host connections once a password is set.
  const started = await new PostgreSqlContainer('postgres:15-alpine')
    .withUsername('postgres').withPassword(password).withDatabase('postgres')
    .withExposedPorts({ container: 5432, host: port })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300', '-c', 'shared_buffers=16MB'])
    .start();
  const host = started.getHost();
  return {
    kind: 'postgres', host, port, user: 'postgres', password,
    url: (db = 'postgres') => `postgres://postgres:${password}@${host}:${port}/${encodeURIComponent(db)}`,
    ...lifecycle('postgres', started, port),
  };
}

export async function startDockerMariadb(_opts: StartOptions = {}): Promise<ServerHandle> {
  const { MariaDbContainer } = await import('@testcontainers/mariadb');
  const password = randomSecret();
  const port = await freePort();
  const started = await new MariaDbContainer('mariadb:10.11')
    .withRootPassword(password).withExposedPorts({ container: 3306, host: port })
    .withCommand(['--max-connections=300', '--skip-name-resolve'])
    .start();
  const host = started.getHost();
  return {
    kind: 'mariadb', host, port, user: 'root', password,
    url: (db = '') => `mysql://root:${password}@${host}:${port}/${encodeURIComponent(db)}`,
    ...lifecycle('mariadb', started, port),
  };
}

export async function startDockerRedis(_opts: StartOptions = {}): Promise<ServerHandle> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const port = await freePort();
  const started = await new RedisContainer('redis:7')
    .withExposedPorts({ container: 6379, host: port })
    .withCommand(['redis-server', '--appendonly', 'yes'])
    .start();
  const host = started.getHost();
  return {
    kind: 'redis', host, port, user: 'default', password: '',
    url: (db?: string) => `redis://${host}:${port}${db ? `/${db}` : ''}`,
    ...lifecycle('redis', started, port),
  };
}
