import { ReplyError } from 'ioredis';
import { isLessorError, unavailable } from '../errors.js';
import type { LeaseStore } from './lease-store.js';

/**
 * Redis down must answer 503, never a 500 or a hang (the client fails commands fast). Any error
 * from the store that is not Redis's own reply to a command (a script bug stays a 500) becomes
 * "lease store unreachable".
 */
export function guardStore(store: LeaseStore): LeaseStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((err: unknown) => {
          if (isLessorError(err) || err instanceof ReplyError || !(err instanceof Error) || /already exists/.test(err.message)) throw err;
          throw unavailable('the lease store (Redis) is unreachable', err);
        });
    },
  });
}
