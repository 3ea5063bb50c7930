import { loadConfig } from '../config.js';
import { serve } from './serve.js';
import { fail } from './index.js';

export async function runServer(): Promise<void> {
  try {
    const config = loadConfig('server');
    await serve(config, (rt) => rt.log.info({ listen: config.listen }, 'server ready'));
  } catch (err) {
    fail(err);
  }
}
