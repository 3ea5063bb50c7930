import type { LessorConfig } from '../config.js';
import { createRuntime, type Runtime } from '../runtime.js';

const CLOSE_BOUND_MS = 5000;

/** true if p settled within ms (a rejection propagates). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ServeHooks {
  onReady?: (rt: Runtime) => void;
  /** Runs once requests have stopped and before the services close (dev mode revokes its leases here). */
  beforeClose?: (rt: Runtime) => Promise<void>;
}

/**
 * Listens, starts background work, and shuts down gracefully on SIGTERM/SIGINT: stop accepting,
 * let in-flight requests finish (fastify's close), run beforeClose, close pools (for at most
 * 5 s), exit 0. A second signal during that exits at once, for an operator who will not wait.
 */
export async function serve(config: Readonly<LessorConfig>, hooks: ServeHooks = {}): Promise<Runtime> {
  const rt = await createRuntime(config);
  await rt.app.listen({ host: config.listen.host, port: config.listen.port });
  rt.startBackground();
  hooks.onReady?.(rt);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) {
      rt.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    rt.log.info({ signal }, 'shutting down');
    try {
      await rt.stopServing();
      await hooks.beforeClose?.(rt).catch((err) => rt.log.error({ err }, 'shutdown step failed; closing anyway'));
      // A pool whose target stopped answering can hold its close for as long as the driver's
      // timeouts; nothing is lost by leaving without it.
      if (!(await within(rt.close(), CLOSE_BOUND_MS))) rt.log.warn({ boundMs: CLOSE_BOUND_MS }, 'closing connections took too long; exiting without them');
    } catch (err) {
      rt.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return rt;
}
