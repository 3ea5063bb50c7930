/**
 * Password generation from a policy after Vault's password policies: a length, and rules that
 * each require a minimum number of characters from a charset. Every character comes from
 * crypto.randomInt (no modulo bias), and the result is shuffled so required characters are not
 * at predictable positions.
 */
import { randomInt } from 'node:crypto';
import { configError } from './errors.js';

export interface PasswordRule {
  charset: string;
  min_chars?: number;
}

export interface PasswordPolicy {
  length?: number;
  /** Characters the rest of the password is drawn from; default: the union of the rules' charsets. */
  charset?: string;
  rules?: PasswordRule[];
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/** Vault's default shape (20 chars, one of each class and a dash), a little longer. */
export const DEFAULT_PASSWORD_POLICY: Required<Pick<PasswordPolicy, 'length' | 'rules'>> = {
  length: 24,
  rules: [
    { charset: LOWER, min_chars: 1 },
    { charset: UPPER, min_chars: 1 },
    { charset: DIGITS, min_chars: 1 },
    { charset: '-', min_chars: 1 },
  ],
};

/**
 * Characters that would need escaping inside a SQL literal or a connection URL's userinfo on
 * some server setting (backslash under MySQL's default sql_mode): refused, so a password is
 * always a plain literal whatever the statement author wrote around it.
 */
const FORBIDDEN = /['"`\\\s\u0000-\u001f\u007f]/;

export const passwordPolicySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    length: { type: 'integer', minimum: 8, maximum: 128 },
    charset: { type: 'string', minLength: 1, maxLength: 256 },
    rules: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['charset'],
        properties: {
          charset: { type: 'string', minLength: 1, maxLength: 256 },
          min_chars: { type: 'integer', minimum: 0, maximum: 128 },
        },
      },
    },
  },
} as const;

const uniq = (s: string) => Array.from(new Set(Array.from(s))).join('');

/** Validates a policy (EngineError 'config') and returns it with defaults applied. */
export function checkPasswordPolicy(policy: PasswordPolicy | undefined): Required<Pick<PasswordPolicy, 'length' | 'rules'>> & { charset: string } {
  const length = policy?.length ?? DEFAULT_PASSWORD_POLICY.length;
  const rules = policy?.rules ?? (policy?.charset ? [] : DEFAULT_PASSWORD_POLICY.rules);
  const charset = uniq(policy?.charset ?? rules.map((r) => r.charset).join(''));
  for (const set of [charset, ...rules.map((r) => r.charset)]) {
    if (FORBIDDEN.test(set)) throw configError('password_policy charsets may not contain quotes, backslashes, whitespace or control characters');
  }
  if (charset.length < 2) throw configError('password_policy needs a charset of at least 2 characters');
  const required = rules.reduce((n, r) => n + (r.min_chars ?? 0), 0);
  if (required > length) throw configError(`password_policy rules require ${required} characters but length is ${length}`);
  return { length, rules, charset };
}

/**
 * A lower bound on the bits of entropy of a password the policy generates: the characters
 * required by each rule count as drawn from that rule's charset, the rest from the full charset
 * (the shuffle only adds to this). It decides whether a fast password hash is safe (PostgreSQL's
 * scram_iterations): with >= 128 bits nothing is guessed, however cheap each guess is.
 */
export function passwordPolicyEntropyBits(policy: PasswordPolicy | undefined): number {
  const { length, rules, charset } = checkPasswordPolicy(policy);
  let required = 0;
  let bits = 0;
  for (const rule of rules) {
    const n = rule.min_chars ?? 0;
    required += n;
    bits += n * Math.log2(uniq(rule.charset).length);
  }
  return bits + (length - required) * Math.log2(charset.length);
}

export function generatePassword(policy?: PasswordPolicy): string {
  const { length, rules, charset } = checkPasswordPolicy(policy);
  const chars: string[] = [];
  for (const rule of rules) {
    const set = Array.from(rule.charset);
    for (let i = 0; i < (rule.min_chars ?? 0); i++) chars.push(set[randomInt(set.length)]);
  }
  const all = Array.from(charset);
  while (chars.length < length) chars.push(all[randomInt(all.length)]);
  // Fisher–Yates with an unbiased source.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}
