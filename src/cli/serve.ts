import type { LessorConfig } from '../config.js';
import { createRuntime, type Runtime } from '../runtime.js';

/**
 * Listens, starts background work, and shuts down gracefully on SIGTERM/SIGINT: stop accepting,
 * let in-flight requests finish (fastify's close), close pools, exit 0.
 */
export async function serve(config: Readonly<LessorConfig>, onReady?: (rt: Runtime) => void): Promise<Runtime> {
  const rt = await createRuntime(config);
  await rt.app.listen({ host: config.listen.host, port: config.listen.port });
  rt.startBackground();
  onReady?.(rt);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    rt.log.info({ signal }, 'shutting down');
    rt.close().then(
      () => process.exit(0),
      (err) => {
        rt.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return rt;
}
