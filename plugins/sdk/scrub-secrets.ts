/**
 * Removes secrets from a message that is about to leave an engine (a database error can echo
 * statement text). Databases do not echo a secret whole: PostgreSQL folds an unquoted word to
 * lower case and quotes only the token where parsing stopped (`at or near "1CxJ"`), so a filter
 * of exact matches lets pieces through. Here every stretch of at least MIN_RUN characters that
 * also occurs in a secret (case-insensitively) is replaced, and so is any quoted text that is
 * part of a secret, however short, or that holds such a run: the quotes mark where a database
 * cut the value.
 */
export const REDACTED = '[redacted]';

/** Shorter runs match ordinary words too often; four random characters are already a real leak. */
const MIN_RUN = 4;

/** PEM armour lines are public boilerplate; only the key material between them is secret. */
const material = (secret: string) => secret.replace(/-----[A-Z ]+-----/g, '\n');

export function scrubSecrets(message: string, secrets: ReadonlyArray<string | undefined>): string {
  const usable = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0).map((s) => material(s).toLowerCase());
  if (usable.length === 0 || message === '') return message;
  const lower = message.toLowerCase();
  const hidden = new Uint8Array(message.length);
  const runs = new Set<string>();
  for (const s of usable) for (let i = 0; i + MIN_RUN <= s.length; i++) if (!/\s/.test(s.slice(i, i + MIN_RUN))) runs.add(s.slice(i, i + MIN_RUN));
  // A match of MIN_RUN characters marks them; overlapping matches extend to the whole echo.
  for (let i = 0; i + MIN_RUN <= lower.length; i++) if (runs.has(lower.slice(i, i + MIN_RUN))) hidden.fill(1, i, i + MIN_RUN);
  // PostgreSQL quotes with "…", MySQL with '…'. Quoted text that is part of a secret, or that
  // holds a run found above, goes whole: what is left of it beside the run is a piece too.
  for (const m of message.matchAll(/"([^"]+)"|'([^']+)'/g)) {
    const text = m[1] ?? m[2];
    const from = m.index! + 1;
    const overlaps = hidden.subarray(from, from + text.length).includes(1);
    if (overlaps || usable.some((s) => s.includes(text.toLowerCase()))) hidden.fill(1, from, from + text.length);
  }
  let out = '';
  for (let i = 0; i < message.length; i++) {
    if (!hidden[i]) out += message[i];
    else if (i === 0 || !hidden[i - 1]) out += REDACTED;
  }
  return out;
}
