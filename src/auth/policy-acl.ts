import type { Capability } from './access.js';
import type { PolicyRules } from './policy-parse.js';
import { canonicalPattern } from './name-case.js';

/**
 * A set of policies compiled into one matcher (Vault's ACL). Rules for the same pattern from
 * different policies merge, and a `deny` among them wins. Of the patterns that match a path
 * the most specific one decides, by Vault's priority order (see `morePrecise`). Lookup cost
 * does not grow with the number of patterns: exact paths are one Map lookup, `*` globs one Map
 * lookup per prefix of the path, `+` patterns are indexed by their literal prefix.
 */
const BIT: Record<Capability, number> = { create: 1, read: 2, update: 4, delete: 8, list: 16, sudo: 32, deny: 64, patch: 128, subscribe: 256, recover: 512 };
/** sys/capabilities answers name them in alphabetical order, as Vault's do (it sorts them). */
const NAMES = (Object.keys(BIT) as Capability[]).filter((c) => c !== 'deny').sort();
const DENY = BIT.deny;

interface Pattern {
  pattern: string;
  bits: number;
  /** For `+` patterns: a regex over the whole path. */
  re?: RegExp;
}

export class Acl {
  private exact = new Map<string, number>();
  private globs = new Map<string, Pattern>();
  private plus = new Map<string, Pattern[]>();

  constructor(policies: PolicyRules[]) {
    const merged = new Map<string, number>();
    for (const rules of policies) {
      for (const [written, caps] of Object.entries(rules)) {
        // A rule naming an AppRole, a user or a policy is on its lowercased name, the one requests
        // are checked under (name-case.ts); policies stored before that are covered as well.
        const pattern = canonicalPattern(written);
        merged.set(pattern, (merged.get(pattern) ?? 0) | caps.reduce((b, c) => b | BIT[c], 0));
      }
    }
    for (const [pattern, raw] of merged) {
      const bits = raw & DENY ? DENY : raw;
      const plusAt = pattern.indexOf('+');
      if (plusAt >= 0) {
        const prefix = pattern.slice(0, plusAt);
        const list = this.plus.get(prefix) ?? [];
        list.push({ pattern, bits, re: plusRegex(pattern) });
        this.plus.set(prefix, list);
      } else if (pattern.endsWith('*')) {
        this.globs.set(pattern.slice(0, -1), { pattern, bits });
      } else {
        this.exact.set(pattern, bits);
      }
    }
  }

  /**
   * The capability bits of the deciding pattern (0: no match, deny by default), in Vault's
   * order. A LIST request's path ends in "/" (`vault list database/roles` asks for
   * "database/roles/"), and for a list Vault also tries the exact pattern without that slash,
   * then the wildcard patterns without it, before the wildcard patterns with it: so both
   * `path "database/roles"` and `path "database/roles/*"` grant `vault list database/roles`.
   */
  private match(path: string, list: boolean): number {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact; // a pattern with no wildcard outranks every other match
    if (list) {
      const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
      const bare = this.exact.get(trimmed);
      if (bare !== undefined) return bare;
      if (trimmed !== path) {
        const wild = this.wildcardMatch(trimmed);
        if (wild !== 0) return wild;
      }
    }
    return this.wildcardMatch(path);
  }

  /** The most specific `*` or `+` pattern that matches, by Vault's priority (`morePrecise`). */
  private wildcardMatch(path: string): number {
    let best: Pattern | undefined;
    for (let i = path.length; i >= 0; i--) {
      const prefix = path.slice(0, i);
      const g = this.globs.get(prefix);
      if (g && (!best || morePrecise(g.pattern, best.pattern))) best = g;
      const ps = this.plus.get(prefix);
      if (ps) for (const p of ps) if (p.re!.test(path) && (!best || morePrecise(p.pattern, best.pattern))) best = p;
    }
    return best?.bits ?? 0;
  }

  /**
   * Whether the path allows any of the capabilities (deny on the deciding pattern refuses all).
   * `list`: the request is a LIST, whose path is matched as Vault matches one (see `match`).
   */
  allows(path: string, capabilities: Capability[], list = false): boolean {
    const bits = this.match(path, list);
    if (bits === 0 || bits & DENY) return false;
    return capabilities.some((c) => (bits & BIT[c]) !== 0);
  }

  /** What a token may do on the path; matched as a LIST, as Vault's sys/capabilities does. */
  capabilities(path: string): Capability[] {
    const bits = this.match(path, true);
    if (bits === 0 || bits & DENY) return ['deny'];
    return NAMES.filter((c) => bits & BIT[c]);
  }
}

/**
 * Vault's segment wildcard: `+` is a wildcard only as a whole path segment (a `+` inside a
 * segment is a literal character) and stands for exactly one segment, an empty one included as
 * in Vault's acl.go (so `path "database/roles/+"` with `list` grants `vault list database/roles`,
 * whose path is "database/roles/"); with a trailing `*` the last segment is a prefix of the rest.
 */
function plusRegex(pattern: string): RegExp {
  const glob = pattern.endsWith('*');
  const body = (glob ? pattern.slice(0, -1) : pattern)
    .split('/')
    .map((segment) => (segment === '+' ? '[^/]*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}${glob ? '.*' : ''}$`);
}

const firstWildcard = (p: string) => {
  const i = p.search(/[+*]/);
  return i < 0 ? Infinity : i;
};
/** Wildcard segments: Vault counts a `+` only where it is a whole segment. */
const plusCount = (p: string) => p.replace(/\*$/, '').split('/').filter((s) => s === '+').length;

/**
 * Vault's priority between two matching patterns a and b (true if a is more specific):
 * a later first wildcard, then no trailing `*`, then fewer `+`, then longer, then
 * lexicographically larger.
 */
export function morePrecise(a: string, b: string): boolean {
  const wa = firstWildcard(a);
  const wb = firstWildcard(b);
  if (wa !== wb) return wa > wb;
  const ga = a.endsWith('*');
  const gb = b.endsWith('*');
  if (ga !== gb) return !ga;
  const pa = plusCount(a);
  const pb = plusCount(b);
  if (pa !== pb) return pa < pb;
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}
