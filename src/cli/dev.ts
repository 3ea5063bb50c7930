import { loadConfig } from '../config.js';
import { serve } from './serve.js';
import { fail } from './index.js';

export async function runDev(): Promise<void> {
  try {
    const config = loadConfig('dev');
    await serve(config, (rt) => {
      const addr = `http://${config.listen.host}:${config.listen.port}`;
      process.stderr.write(
        [
          '',
          'lessor is running in DEV MODE: leases live in this process only and are lost when it stops;',
          `the config store is embedded PGlite in ${config.dataDir}. Do not use dev mode in production.`,
          '',
          `  address:    ${addr}`,
          `  root token: ${rt.rootTokenNotice ?? '(from LESSOR_DEV_ROOT_TOKEN)'}`,
          `  try:        curl ${addr}/v1/sys/health`,
          '',
        ].join('\n') + '\n',
      );
      rt.log.info({ address: addr }, 'dev server ready');
    });
  } catch (err) {
    fail(err);
  }
}
