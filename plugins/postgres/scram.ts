/**
 * A SCRAM-SHA-256 verifier computed by lessor (Vault's password_authentication=scram-sha-256):
 * PostgreSQL stores `PASSWORD 'SCRAM-SHA-256$…'` as given, so the plaintext never reaches the
 * server (nor its statement log), and the server does not spend 4096 PBKDF2 rounds per user.
 * Format and derivation as PostgreSQL's scram_build_secret (RFC 5802/7677).
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);
const ITERATIONS = 4096;

export async function scramVerifier(password: string): Promise<string> {
  const salt = randomBytes(16);
  // SASLprep is the identity for the printable ASCII that password policies allow.
  const salted = await pbkdf2Async(password.normalize('NFKC'), salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
