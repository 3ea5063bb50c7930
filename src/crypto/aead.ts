import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with a fresh 96-bit nonce per message. Output: nonce || ciphertext || tag.
 * GCM's tag makes any change to the bytes (or to the associated data) fail to open, so a
 * tampered value throws instead of decrypting to garbage.
 */
const NONCE = 12;
const TAG = 16;

export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

export function aeadSeal(key: Buffer, plain: Buffer, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

export function aeadOpen(key: Buffer, box: Buffer, aad: string): Buffer {
  if (box.length < NONCE + TAG) throw new SealError('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(0, NONCE));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(box.subarray(box.length - TAG));
  try {
    return Buffer.concat([decipher.update(box.subarray(NONCE, box.length - TAG)), decipher.final()]);
  } catch {
    throw new SealError('sealed value failed authentication: it was tampered with, moved, or sealed under another key');
  }
}
