/**
 * Encryption at rest as the rest of the code sees it: seal bytes to a self-describing string
 * (which key term sealed it travels inside), open it again, or fail loudly if it was tampered
 * with. `aad` binds a ciphertext to where it is stored (e.g. "config:database/pg1") so a sealed
 * value copied to another field does not open there.
 */
export interface Sealer {
  seal(plain: Buffer, aad?: string): Promise<string>;
  open(sealed: string, aad?: string): Promise<Buffer>;
}
