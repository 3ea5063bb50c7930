/**
 * The API key's wire format: `<prefix>_<key_id>_<secret><checksum>`.
 *
 * - prefix: the role's key_prefix, so secret scanners (GitHub push protection, trufflehog) can
 *   match lessor's keys with one regex and so a key says where it came from.
 * - key_id: public, 22 base62 characters (128 bits) derived from the lease id; it names the
 *   stored record, so verification is one lookup.
 * - secret: 32 random bytes (256 bits) as exactly 43 base62 characters (62^43 > 2^256).
 * - checksum: CRC32 of everything before it, as 6 base62 characters (62^6 > 2^32), GitHub's
 *   scheme: a mistyped or truncated key is rejected offline, without touching the store, and
 *   scanners can tell a real key from a random string of the same shape. CRC32 detects every
 *   error burst of up to 32 bits, so any single-character change (8 bits) is always caught.
 *
 * base62 rather than base64url: no `_` or `-` inside the parts, so the key splits on `_`
 * unambiguously, survives a double-click selection, and needs no URL escaping.
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SECRET_CHARS = 43;
export const CHECKSUM_CHARS = 6;
export const KEY_ID_CHARS = 22;
const BASE62_RE = /^[0-9A-Za-z]+$/;
/** Also the role schema's pattern: letters and digits, single underscores between groups. */
export const PREFIX_PATTERN = '^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$';
const PREFIX_RE = new RegExp(PREFIX_PATTERN);

/** Fixed-width base62 of a big-endian unsigned integer (fixed width keeps parsing positional). */
export function base62(bytes: Buffer, width: number): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  if (out.length > width) throw new Error(`value does not fit in ${width} base62 characters`);
  return out.padStart(width, '0');
}

function checksum(body: string): string {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc32(body) >>> 0);
  return base62(c, CHECKSUM_CHARS);
}

/** Deterministic from the lease id (credentialId must be pure), and not reversible to it. */
export function keyIdFor(leaseId: string): string {
  return base62(createHash('sha256').update(`apikey-id:${leaseId}`).digest().subarray(0, 16), KEY_ID_CHARS);
}

export function newSecret(): string {
  return base62(randomBytes(32), SECRET_CHARS);
}

export function formatKey(prefix: string, keyId: string, secret: string): string {
  const body = `${prefix}_${keyId}_${secret}`;
  return body + checksum(body);
}

export type ParsedKey =
  | { ok: true; prefix: string; keyId: string; secret: string }
  | { ok: false; reason: 'malformed' | 'bad_checksum' };

/** Offline checks only: shape and checksum. The store is consulted only if both pass. */
export function parseKey(apiKey: string): ParsedKey {
  const tailAt = apiKey.lastIndexOf('_');
  const idAt = tailAt > 0 ? apiKey.lastIndexOf('_', tailAt - 1) : -1;
  if (idAt <= 0) return { ok: false, reason: 'malformed' };
  const prefix = apiKey.slice(0, idAt);
  const keyId = apiKey.slice(idAt + 1, tailAt);
  const tail = apiKey.slice(tailAt + 1);
  if (
    !PREFIX_RE.test(prefix) || keyId.length !== KEY_ID_CHARS || !BASE62_RE.test(keyId) ||
    tail.length !== SECRET_CHARS + CHECKSUM_CHARS || !BASE62_RE.test(tail)
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const secret = tail.slice(0, SECRET_CHARS);
  if (checksum(apiKey.slice(0, tailAt + 1 + SECRET_CHARS)) !== tail.slice(SECRET_CHARS)) {
    return { ok: false, reason: 'bad_checksum' };
  }
  return { ok: true, prefix, keyId, secret };
}
