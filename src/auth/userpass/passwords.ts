import * as argon2 from 'argon2';

/**
 * Human passwords are hashed with argon2id at OWASP's minimum recommended parameters:
 * m = 19 MiB (19456 KiB), t = 2 iterations, p = 1 lane. That is about ten times cheaper than the
 * argon2 package's defaults (m = 64 MiB, t = 3, p = 4), which verify only ~10 times a second on
 * a small server and would make the login endpoint an easy CPU sink; OWASP's minimum keeps a GPU
 * guessing attack expensive. The PHC string (`$argon2id$v=19$m=19456,p=1,t=2$salt$hash`) records
 * the parameters, so raising them later only needs a new ARGON2_PARAMS: each user's hash is
 * upgraded the next time they log in (`needsRehash`).
 */
export interface Argon2Params {
  type: typeof argon2.argon2id;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const ARGON2_PARAMS: Readonly<Argon2Params> = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string, params: Readonly<Argon2Params> = ARGON2_PARAMS): Promise<string> {
  return argon2.hash(password, params);
}

let dummy: Promise<string> | undefined;

/**
 * Checks a password. With no stored hash (unknown user) it still verifies against a dummy hash
 * with the same parameters, so "no such user" and "wrong password" take the same time.
 */
export async function checkPassword(
  stored: string | undefined,
  password: string,
  params: Readonly<Argon2Params> = ARGON2_PARAMS,
): Promise<{ ok: boolean; needsRehash: boolean }> {
  dummy ??= hashPassword('lessor-dummy-password', params);
  const digest = stored ?? (await dummy);
  let ok = false;
  try {
    ok = await argon2.verify(digest, password);
  } catch {
    ok = false; // a malformed stored hash never logs anyone in
  }
  ok = ok && stored !== undefined;
  return { ok, needsRehash: ok && argon2.needsRehash(digest, params) };
}
