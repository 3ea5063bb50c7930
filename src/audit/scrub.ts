import { createHmac } from 'node:crypto';

/**
 * The audit log's secret handling, as Vault does it: every string leaf of request bodies and of
 * response data/auth is replaced by `hmac-sha256:<hex>` under a per-install key, except a short
 * allow-list of fields that are identifiers, never secrets. An operator who holds a value can
 * find it in the log with `sys/audit-hash`; a reader of the log learns nothing else.
 */
export const CLEAR_FIELDS = new Set([
  'request_id',
  'lease_id',
  'accessor',
  'secret_id_accessor',
  'client_token_accessor',
  'policies',
  'token_policies',
  'identity_policies',
  'token_type',
  'keys',
  'errors',
  'warnings',
]);

const NONE_CLEAR: ReadonlySet<string> = new Set();

export class AuditHasher {
  constructor(private readonly key: Buffer) {}

  hash(value: string): string {
    return `hmac-sha256:${createHmac('sha256', this.key).update(value, 'utf8').digest('hex')}`;
  }

  /** A copy of value with every string HMAC'd except under CLEAR_FIELDS keys (at any depth). */
  scrub(value: unknown): unknown {
    return this.walk(value, false, CLEAR_FIELDS);
  }

  /**
   * Every string HMAC'd, CLEAR_FIELDS included: for data the caller chose (what sys/wrapping/wrap
   * keeps and unwrap hands back), where a field named `keys` or `policies` may hold a secret.
   */
  scrubAll(value: unknown): unknown {
    return this.walk(value, false, NONE_CLEAR);
  }

  private walk(value: unknown, clear: boolean, clearFields: ReadonlySet<string>): unknown {
    if (typeof value === 'string') return clear || value === '' ? value : this.hash(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v, clear, clearFields));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        // A clear field keeps only plain strings (or lists of them) clear; nested objects are still scrubbed.
        const keep = clearFields.has(k) && (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')));
        out[k] = this.walk(v, keep, clearFields);
      }
      return out;
    }
    return value;
  }
}
