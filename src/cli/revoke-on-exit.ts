import pLimit from 'p-limit';
import type { RequestIdentity } from '../auth/access.js';
import type { Runtime } from '../runtime.js';

export interface ExitRevocation {
  /** Leases whose revocation finished (their credentials are gone from the targets). */
  revoked: number;
  /** Leases still held when the time ran out or their revocation failed: their users remain. */
  failed: string[];
}

/** The process itself revoking at exit; no request, so no token, but root's reach. */
const SHUTDOWN: RequestIdentity = {
  tokenId: '', accessor: '', ancestors: [], policies: ['root'],
  entityName: 'lessor dev', displayName: 'shutdown', metadata: Object.create(null) as Record<string, string>, isRoot: true,
};

/**
 * `lessor dev` holds its leases in memory, so nothing would revoke them after it exits: their
 * users would stay in the targets (PostgreSQL ones until VALID UNTIL, MySQL ones for good). At a
 * graceful exit it revokes every live lease through the normal revoke path, a few at a time,
 * and gives up after `timeoutMs` so a target that is down cannot hold the exit forever.
 * Call it after the HTTP server stopped accepting and before the engines close.
 */
export async function revokeOnExit(rt: Pick<Runtime, 'leases' | 'reaper'>, opts: { timeoutMs: number; concurrency?: number }): Promise<ExitRevocation> {
  // The reaper would otherwise claim the same leases and report them as its own retries.
  await rt.reaper.stop();
  const store = rt.leases.store;
  const ids = await store.listPrefix('');
  const limit = pLimit(opts.concurrency ?? 8);
  const caller = { identity: SHUTDOWN, path: 'sys/leases/revoke' };
  const all = Promise.all(ids.map((id) => limit(() => rt.leases.revoke(caller, id, true).catch(() => {}))));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      limit.clearQueue();
      resolve();
    }, opts.timeoutMs);
  });
  await Promise.race([all, timedOut]);
  clearTimeout(timer);
  // What is still in the store was not revoked, whoever tried: the count says what is left.
  const left = (await store.getMany(ids)).filter((l) => l !== undefined).map((l) => l.id);
  return { revoked: ids.length - left.length, failed: left };
}
