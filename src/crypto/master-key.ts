import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LessorConfig } from '../config.js';

/**
 * The master key that seals the keyring. `lessor server` requires LESSOR_MASTER_KEY (config.ts
 * enforces it). `lessor dev` without one keeps a generated key in `<dataDir>/master.key`
 * (mode 0600) so its embedded config store survives restarts, and says where it put it.
 */
export function resolveMasterKey(
  config: Pick<LessorConfig, 'masterKey' | 'mode' | 'dataDir'>,
  notice: (message: string) => void = (m) => process.stderr.write(m + '\n'),
): Buffer {
  if (config.masterKey) return Buffer.from(config.masterKey, 'base64');
  if (config.mode !== 'dev') throw new Error('LESSOR_MASTER_KEY is required outside dev mode');
  const file = join(config.dataDir, 'master.key');
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length === 32) return key;
    throw new Error(`${file} does not hold base64 of 32 bytes`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  notice(`lessor dev: no LESSOR_MASTER_KEY set; generated one into ${file} (mode 0600). Keep it with the data dir.`);
  return key;
}
