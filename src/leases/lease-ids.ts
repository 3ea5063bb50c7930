import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Vault's lease id form `<mount>/<credsPath>/<role>/<24 random characters>`. */
export function newLeaseId(mount: string, credsPath: string, roleName: string): string {
  // 24 characters from 62 (rejection-free: 256 % 62 bias is irrelevant for an identifier).
  const bytes = randomBytes(24);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % ALPHABET.length];
  return `${mount}/${credsPath}/${roleName}/${rand}`;
}

/** A lease id as it arrives from a client: no leading/trailing slashes, nothing odd in it. */
export function normaliseLeaseId(raw: string): string {
  return raw.trim().replace(/^\/+|\/+$/g, '');
}

/** Prefixes for list and revoke-prefix end at a path segment boundary, as Vault's do. */
export function normalisePrefix(raw: string): string {
  const p = normaliseLeaseId(raw);
  return p === '' ? '' : `${p}/`;
}
