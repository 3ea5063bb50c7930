// A reaper replica in its own process, for the multi-process tests: builds a runtime from the
// LESSOR_* environment (same Redis prefix and config store as the test), says "ready", starts
// its reaper when it reads "go" on stdin, and runs until killed. Not a test file itself.
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';

const FAKE_DIR = fileURLToPath(new URL('../helpers/fake-engine/', import.meta.url));
const config = loadConfig('server', process.env);
const rt = await createRuntime(config, {
  log: createLogger('warn', process.stderr as never),
  pluginDirs: [FAKE_DIR],
  leaseTuning: JSON.parse(process.env.LEASE_TUNING ?? '{}'),
});
process.stdin.on('data', (chunk) => {
  if (String(chunk).includes('go')) rt.reaper.start();
});
process.on('SIGTERM', () => void rt.close().finally(() => process.exit(0)));
process.stdout.write('ready\n');
