import { loadConfig } from '../config.js';
import { serve } from './serve.js';
import { fail } from './index.js';
import { revokeOnExit } from './revoke-on-exit.js';

export async function runDev(): Promise<void> {
  try {
    const config = loadConfig('dev');
    const seconds = Math.ceil(config.devExitRevokeMs / 1000);
    await serve(config, {
      onReady: (rt) => {
        const addr = `http://${config.listen.host}:${config.listen.port}`;
        const rootToken = config.rootToken ? `${rt.rootTokenNotice} (from LESSOR_DEV_ROOT_TOKEN)` : `${rt.rootTokenNotice} (kept in the data dir: the same after a restart)`;
        process.stderr.write(
          [
            '',
            'lessor is running in DEV MODE: leases live in this process only. On Ctrl-C or SIGTERM it revokes',
            `them (for up to ${seconds}s) before exiting; if it is killed, their users stay in the targets.`,
            `The config store is embedded PGlite in ${config.dataDir}. Do not use dev mode in production.`,
            '',
            `  address:    ${addr}`,
            `  root token: ${rootToken}`,
            `  try:        curl ${addr}/v1/sys/health`,
            '',
          ].join('\n') + '\n',
        );
        rt.log.info({ address: addr }, 'dev server ready');
      },
      beforeClose: async (rt) => {
        const { revoked, failed } = await revokeOnExit(rt, { timeoutMs: config.devExitRevokeMs });
        if (failed.length) rt.log.warn({ leases: failed }, 'leases not revoked at exit: their users remain in the targets');
        rt.log.info({ revoked, failed: failed.length }, 'dev leases revoked at exit');
        process.stderr.write(`lessor dev: revoked ${revoked} leases (${failed.length} failed)\n`);
      },
    });
  } catch (err) {
    fail(err);
  }
}
