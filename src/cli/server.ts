import { loadConfig } from '../config.js';
import { serve } from './serve.js';
import { fail } from './index.js';

export async function runServer(): Promise<void> {
  try {
    const config = loadConfig('server');
    await serve(config, {
      onReady: (rt) => {
        // Printed once, on the start that bootstrapped an empty install; never logged.
        if (rt.rootTokenNotice) {
          process.stderr.write(
            `\nlessor: this install was empty, so a root token was generated. It is shown only this once:\n\n  root token: ${rt.rootTokenNotice}\n\n` +
              'Create admin identities with it, then revoke it (auth/token/revoke-self).\n\n',
          );
        }
        rt.log.info({ listen: config.listen }, 'server ready');
      },
    });
  } catch (err) {
    fail(err);
  }
}
