/**
 * Usernames for generated database users: a username template rendered with the caller's
 * display name and the role name, then checked against the one safe alphabet. The inputs are
 * cleaned first (a display name may hold an email address or anything a JWT claim carried),
 * and the output is checked again, so a custom template cannot produce a name that needs
 * quoting or exceeds the database's limit.
 */
import { configError } from './errors.js';
import { compileUsernameTemplate, type CompiledTemplate } from './username-template.js';

export const SAFE_USERNAME = /^[a-zA-Z0-9_.-]+$/;

/** Anything outside the safe alphabet becomes "-" (quotes, semicolons, backslashes, unicode). */
export function cleanTemplateInput(value: string): string {
  return Array.from(value).map((c) => (/[a-zA-Z0-9_.-]/.test(c) ? c : '-')).join('');
}

export interface UsernameGenerator {
  /** A new username; throws EngineError 'config' if the template yields an unsafe name. */
  generate(input: { displayName: string; roleName: string; now: number }): string;
  /**
   * The fixed start every rendered name shares ("v-" for the defaults): what the reconciler
   * matches database users against. Empty when the template starts with a variable part.
   */
  prefix: string;
  maxLength: number;
}

export function usernameGenerator(template: string, maxLength: number): UsernameGenerator {
  let compiled: CompiledTemplate;
  try {
    compiled = compileUsernameTemplate(template);
  } catch (err) {
    throw configError(`username_template is invalid: ${(err as Error).message}`);
  }
  const generate: UsernameGenerator['generate'] = ({ displayName, roleName, now }) => {
    let name: string;
    try {
      name = compiled.render({ DisplayName: cleanTemplateInput(displayName), RoleName: cleanTemplateInput(roleName) }, now);
    } catch (err) {
      throw configError(`username_template failed to render: ${(err as Error).message}`);
    }
    if (!SAFE_USERNAME.test(name)) {
      throw configError('username_template must produce names of letters, digits, "_", "." and "-" only');
    }
    if (name.length > maxLength) {
      throw configError(`username_template produced a ${name.length}-character name; the limit is ${maxLength}`);
    }
    return name;
  };
  // Renders that differ in every input share only the template's fixed text; four of them make
  // an accidental match inside a random part (1 in 62 per pair) vanishingly unlikely.
  const samples = ['aaaa', 'zzzz', 'QQQQ', '0000'].map((v, k) =>
    generate({ displayName: v, roleName: v, now: 1_000_000_000_000 + k * 333_333_333_333 }));
  let i = 0;
  while (samples.every((s) => i < s.length && s[i] === samples[0][i])) i++;
  const prefix = samples[0].slice(0, i);
  return { generate, prefix, maxLength };
}
