import { Redis, Cluster } from 'ioredis';
import { loadScripts } from './scripts.js';

export type RedisClient = Redis | Cluster;

/**
 * One ioredis connection (or cluster client) per process. Commands fail fast while Redis is
 * down instead of queueing forever, so a request answers 503 rather than hanging.
 */
export async function connectRedis(url: string, opts: { cluster?: boolean } = {}): Promise<RedisClient> {
  const common = {
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 3000,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    lazyConnect: true,
    // Commands issued in the same tick leave in one socket write: on a busy replica a write
    // syscall per command was the largest single cost of every request (see bench/).
    enableAutoPipelining: true,
  };
  let client: RedisClient;
  if (opts.cluster) {
    const u = new URL(url);
    client = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
      redisOptions: { ...common, password: u.password || undefined, username: u.username || undefined },
      enableOfflineQueue: true,
      enableAutoPipelining: true,
    });
  } else {
    client = new Redis(url, common);
  }
  // Connection errors surface on the commands that need Redis; an unhandled 'error' event
  // would otherwise crash the process.
  client.on('error', () => {});
  await client.connect().catch(() => {
    // Start anyway: health reports Redis as down and ioredis keeps reconnecting.
  });
  await loadScripts(client);
  return client;
}
