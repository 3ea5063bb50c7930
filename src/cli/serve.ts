import type { LessorConfig } from '../config.js';
import { createRuntime, type Runtime } from '../runtime.js';

export interface ServeHooks {
  onReady?: (rt: Runtime) => void;
  /** Runs once requests have stopped and before the services close (dev mode revokes its leases here). */
  beforeClose?: (rt: Runtime) => Promise<void>;
}

/**
 * Listens, starts background work, and shuts down gracefully on SIGTERM/SIGINT: stop accepting,
 * let in-flight requests finish (fastify's close), run beforeClose, close pools, exit 0. A second
 * signal during that exits at once, for an operator who will not wait.
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
      await rt.close();
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
