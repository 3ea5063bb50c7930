import { Redis, Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import { loadScripts } from './scripts.js';

export type RedisClient = Redis | Cluster;

/** ioredis tags a reply error with the command that drew it; SELECT fails on a database the server lacks. */
const isSelectRefusal = (err: unknown): err is Error =>
  (err as { command?: { name?: string } } | undefined)?.command?.name === 'select';

/**
 * One ioredis connection (or cluster client) per process. Commands fail fast while Redis is
 * down instead of queueing forever, so a request answers 503 rather than hanging.
 *
 * A database the server refuses (`/99` on a 16-database server) is a configuration error:
 * ioredis only reports the failed SELECT as an 'error' event and carries on in database 0, so
 * start-up stops here with a ConfigError. When Redis was down at start and refuses the SELECT
 * later, the client is closed instead: requests answer 503 rather than writing to database 0.
 */
export async function connectRedis(url: string, opts: { cluster?: boolean; log?: Logger } = {}): Promise<RedisClient> {
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
  let refused: Error | undefined;
  let starting = true;
  // Connection errors surface on the commands that need Redis; an unhandled 'error' event
  // would otherwise crash the process.
  client.on('error', (err) => {
    if (!isSelectRefusal(err) || refused) return;
    refused = err;
    client.disconnect();
    if (!starting) opts.log?.error({ error: err.message }, 'Redis refused the database in LESSOR_REDIS_URL; the token and lease stores are closed until a restart with a valid one');
  });
  await client.connect().catch(() => {
    // Start anyway: health reports Redis as down and ioredis keeps reconnecting.
  });
  starting = false;
  if (refused) {
    const db = new URL(url).pathname.replace(/^\//, '');
    throw new ConfigError('LESSOR_REDIS_URL', `Redis refused database ${db} (${refused.message})`);
  }
  await loadScripts(client);
  return client;
}
