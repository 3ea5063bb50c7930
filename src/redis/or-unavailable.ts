import { unavailable } from '../errors.js';

/** Runs a Redis call; a failure (Redis down, timed out) becomes a 503 naming `what`. */
export async function orUnavailable<T>(fn: () => Promise<T>, what = 'the token store (Redis)'): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw unavailable(`${what} is unreachable`, err);
  }
}
