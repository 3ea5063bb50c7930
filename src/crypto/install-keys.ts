import { randomBytes } from 'node:crypto';
import type { SqlStore } from '../db/sql-store.js';
import type { Keyring } from './keyring.js';

/**
 * Per-install secret keys (audit HMAC, AppRole secret-ID HMAC): 32 random bytes created once,
 * stored sealed by the keyring in `install_keys`, identical on every replica.
 */
export async function installKey(sql: SqlStore, ring: Keyring, name: string): Promise<Buffer> {
  const aad = `install_keys:${name}`;
  await sql.query('INSERT INTO install_keys (name, sealed) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    await ring.seal(randomBytes(32), aad),
  ]);
  const { rows } = await sql.query<{ sealed: string }>('SELECT sealed FROM install_keys WHERE name = $1', [name]);
  return ring.open(rows[0].sealed, aad);
}

/** For the rewrap job (rewrap.ts sealedColumnTask). */
export const INSTALL_KEYS_COLUMN = {
  table: 'install_keys',
  keyColumns: ['name'],
  column: 'sealed',
  aad: (row: Record<string, unknown>) => `install_keys:${String(row.name)}`,
};
