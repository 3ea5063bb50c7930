/**
 * Claim templates: JSON whose string values may hold Vault-style placeholders filled from the
 * caller — `{{identity.entity.name}}`, `{{identity.entity.metadata.team}}`,
 * `{{identity.token.display_name}}`, `{{identity.token.policies}}`. A string that is exactly one
 * placeholder takes the value's type (policies stay a list). A claim whose placeholder has no
 * value is left out, as Vault does, rather than issued half-filled.
 *
 * Metadata comes only from the entity (what an operator set: the login's role, user or secret
 * ID), never from a token's own metadata, which any token holder can set on a child token: a
 * claim must not say what the caller chose. There is no `identity.token.metadata` placeholder.
 */
import { configError, type Requester } from '../sdk/index.js';

/** Claims lessor sets itself; a template may not override them. */
export const RESERVED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'];

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const MISSING = Symbol('missing');

function lookup(path: string, who: Requester): unknown {
  if (path === 'identity.entity.name') return who.entityName || undefined;
  if (path === 'identity.token.display_name') return who.displayName || undefined;
  if (path === 'identity.token.policies') return who.policies;
  const meta = /^identity\.entity\.metadata\.(.+)$/.exec(path);
  if (meta) return Object.hasOwn(who.metadata, meta[1]) ? who.metadata[meta[1]] : undefined;
  throw configError(`unknown template placeholder {{${path}}}`);
}

function renderString(s: string, who: Requester): unknown {
  const whole = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/.exec(s);
  if (whole) return lookup(whole[1], who) ?? MISSING;
  let missing = false;
  const out = s.replace(PLACEHOLDER, (_, path: string) => {
    const v = lookup(path, who);
    if (v === undefined) missing = true;
    return Array.isArray(v) ? v.join(',') : String(v ?? '');
  });
  return missing ? MISSING : out;
}

/**
 * How deep a claims template may nest. A template given as JSON text escapes the request body's
 * depth limit, and rendering walks every level: without a bound, a deep one would overflow the stack.
 */
const MAX_CLAIMS_DEPTH = 32;

function render(value: unknown, who: Requester, depth = 0): unknown {
  if (depth > MAX_CLAIMS_DEPTH) throw configError(`claims nest deeper than ${MAX_CLAIMS_DEPTH} levels`);
  if (typeof value === 'string') return renderString(value, who);
  if (Array.isArray(value)) return value.map((v) => render(v, who, depth + 1)).filter((v) => v !== MISSING);
  if (value && typeof value === 'object') {
    // Keys come from the role's template: no prototype, so "__proto__" is a claim name like any other.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) {
      const r = render(v, who, depth + 1);
      if (r !== MISSING) out[k] = r;
    }
    return out;
  }
  return value;
}

/** The role's claims template (an object, or JSON text as Vault takes it) rendered for a caller. */
export function renderClaims(template: unknown, who: Requester): Record<string, unknown> {
  if (template === undefined || template === '') return {};
  let parsed = template;
  if (typeof template === 'string') {
    try {
      parsed = JSON.parse(template);
    } catch {
      throw configError('claims must be a JSON object');
    }
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw configError('claims must be a JSON object');
  const reserved = Object.keys(parsed).filter((k) => RESERVED_CLAIMS.includes(k));
  if (reserved.length) throw configError(`claims may not set ${reserved.join(', ')}: lessor sets them`);
  return render(parsed, who) as Record<string, unknown>;
}

/** A single template string (the subject): undefined when a placeholder has no value. */
export function renderText(template: string, who: Requester): string | undefined {
  const r = renderString(template, who);
  if (r === MISSING) return undefined;
  return Array.isArray(r) ? r.join(',') : String(r);
}
