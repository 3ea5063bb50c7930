import { createHmac } from 'node:crypto';
import { TOKEN_PREFIX } from '../auth/tokens.js';

/**
 * The audit log's secret handling, as Vault does it: every string leaf of request bodies and of
 * response data/auth is replaced by `hmac-sha256:<hex>` under a per-install key, except a short
 * allow-list of fields in lessor's own answers that are identifiers, never secrets. An operator
 * who holds a value can find it in the log with `sys/audit-hash`; a reader of the log learns
 * nothing else. Accessors are HMAC'd as Vault does by default (hmac_accessor): an accessor can
 * revoke and look up its token, and a token pasted into an accessor field must not show.
 */
export const CLEAR_FIELDS = new Set([
  'request_id',
  'lease_id',
  'policies',
  'token_policies',
  'identity_policies',
  'token_type',
  'errors',
  'warnings',
]);

/**
 * What a walk leaves in clear. Numbers: Vault decodes request bodies with json.Number, so a
 * number the caller sent is HMAC'd like a string (its decimal text is what sys/audit-hash
 * takes); numbers lessor computes (TTLs in answers) are not. Data the caller chose to wrap is
 * stricter than Vault: booleans too, since a flag can be the secret.
 */
interface Rules {
  clear: ReadonlySet<string>;
  numbers: boolean;
  booleans: boolean;
}

const ANSWER: Rules = { clear: CLEAR_FIELDS, numbers: false, booleans: false };
const REQUEST: Rules = { clear: new Set(), numbers: true, booleans: false };
const CALLER_DATA: Rules = { clear: new Set(), numbers: true, booleans: true };

/** A lessor token is never left in clear, whatever field or position it was put in. */
const isToken = (v: string) => v.startsWith(TOKEN_PREFIX);
const TOKEN_IN_TEXT = new RegExp(`${TOKEN_PREFIX.replace(/\./g, '\\.')}[\\w-]+`, 'g');

/**
 * How deep the walk goes. Request bodies are refused past a shallower depth at the edge, so only
 * data lessor built itself could get here; below this the value is written as TOO_DEEP rather
 * than walked, so no value can exhaust the stack or reach the log unhashed.
 */
const MAX_WALK_DEPTH = 128;
const TOO_DEEP = '[nested too deep for the audit log]';

export class AuditHasher {
  constructor(private readonly key: Buffer) {}

  hash(value: string): string {
    return `hmac-sha256:${createHmac('sha256', this.key).update(value, 'utf8').digest('hex')}`;
  }

  /** A copy of one of lessor's answers with every string HMAC'd except under CLEAR_FIELDS keys (at any depth). */
  scrub(value: unknown): unknown {
    return this.walk(value, false, ANSWER, 0);
  }

  /** A request body: every string and number HMAC'd, as Vault's audit does. */
  scrubRequest(value: unknown): unknown {
    return this.walk(value, false, REQUEST, 0);
  }

  /** Tokens inside free text (an error message that quotes its input) are HMAC'd in place. */
  scrubText(value: string): string {
    return value.replace(TOKEN_IN_TEXT, (t) => this.hash(t));
  }

  /**
   * Every leaf HMAC'd, CLEAR_FIELDS included: for data the caller chose (what sys/wrapping/wrap
   * keeps and unwrap hands back), where a field named `lease_id` or `policies` may hold a secret.
   */
  scrubAll(value: unknown): unknown {
    return this.walk(value, false, CALLER_DATA, 0);
  }

  private walk(value: unknown, clear: boolean, rules: Rules, depth: number): unknown {
    if (typeof value === 'string') return (clear && !isToken(value)) || value === '' ? value : this.hash(value);
    if (typeof value === 'number' && rules.numbers) return this.hash(String(value));
    if (typeof value === 'boolean' && rules.booleans) return this.hash(String(value));
    if (value && typeof value === 'object' && depth >= MAX_WALK_DEPTH) return TOO_DEEP;
    if (Array.isArray(value)) return value.map((v) => this.walk(v, clear, rules, depth + 1));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = Object.create(null);
      for (const [k, v] of Object.entries(value)) {
        // A clear field keeps only plain strings (or lists of them) clear; nested objects are still scrubbed.
        const keep = rules.clear.has(k) && (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')));
        out[k] = this.walk(v, keep, rules, depth + 1);
      }
      return out;
    }
    return value;
  }
}
