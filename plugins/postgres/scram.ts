/**
 * A SCRAM-SHA-256 verifier computed by lessor (Vault's password_authentication=scram-sha-256):
 * PostgreSQL stores `PASSWORD 'SCRAM-SHA-256$…'` as given, so the plaintext never reaches the
 * server (nor its statement log). Format and derivation as PostgreSQL's scram_build_secret
 * (RFC 5802/7677).
 *
 * The iteration count is the server's cost too: CREATE/ALTER ROLE checks that the verifier does
 * not accept the empty password, which is one more PBKDF2 at the verifier's count (measured
 * here: 2.8 ms of server CPU per role at 4096, 0.15 ms at 16). See checkScramConfig for when a
 * lower count is allowed.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { configError } from '../sdk/errors.js';
import { passwordPolicyEntropyBits } from '../sdk/password-policy.js';
import type { DatabaseConfig } from '../sdk/database.js';

const pbkdf2Async = promisify(pbkdf2);

/** PostgreSQL's default (and RFC 7677's recommended minimum). */
export const DEFAULT_SCRAM_ITERATIONS = 4096;
/** Clients refuse more (node-postgres caps at 100,000): a verifier nobody can log in with. */
export const MAX_SCRAM_ITERATIONS = 100_000;
/** Below this, a guess costs too little for a stretched hash to matter: only randomness does. */
const MIN_BITS_FOR_FEW_ITERATIONS = 128;
/** Under this many rounds the thread-pool hop costs more than the work itself. */
const SYNC_BELOW = 1024;

export async function scramVerifier(password: string, iterations = DEFAULT_SCRAM_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  // SASLprep is the identity for the printable ASCII that password policies allow.
  const normalized = password.normalize('NFKC');
  const salted = iterations < SYNC_BELOW
    ? pbkdf2Sync(normalized, salt, iterations, 32, 'sha256')
    : await pbkdf2Async(normalized, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * PBKDF2's rounds only slow the guessing of a weak password from a stolen verifier. lessor's
 * passwords are random: with >= 128 bits no number of guesses finds one, so fewer rounds lose
 * nothing there, and the admin opts in per config. With a weaker password_policy the rounds are
 * what protects it, so fewer than the default are refused.
 */
export function checkScramConfig(config: DatabaseConfig): void {
  const iterations = config.scram_iterations;
  if (iterations === undefined) return;
  if (config.password_authentication !== 'scram-sha-256') {
    throw configError('scram_iterations needs password_authentication=scram-sha-256 (without it PostgreSQL hashes the password itself)');
  }
  if (iterations >= DEFAULT_SCRAM_ITERATIONS) return;
  const bits = passwordPolicyEntropyBits(config.password_policy);
  if (bits < MIN_BITS_FOR_FEW_ITERATIONS) {
    throw configError(`scram_iterations below ${DEFAULT_SCRAM_ITERATIONS} needs a password_policy of at least ${MIN_BITS_FOR_FEW_ITERATIONS} bits of entropy; this one has ${Math.floor(bits)}`);
  }
}
