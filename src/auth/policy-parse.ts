import type { Capability } from './access.js';

/**
 * Vault ACL policy text → rules. Two spellings are accepted: Vault's JSON form
 * `{"path": {"secret/*": {"capabilities": ["read"]}}}` and the HCL form for the same thing
 * (`path "secret/*" { capabilities = ["read"] }`). Anything else a Vault policy can say
 * (allowed_parameters, control groups, …) is refused rather than silently ignored: an operator
 * who wrote a restriction must not believe it is in force.
 *
 * Keys come from the document, so every object built here has no prototype: a path named
 * `__proto__` or `constructor` is a literal path like any other, and no key can reach
 * Object.prototype (a policy writer must not be able to change how the process behaves).
 */
export type PolicyRules = Record<string, Capability[]>;

export const CAPABILITIES: Capability[] = ['create', 'read', 'update', 'delete', 'list', 'sudo', 'deny', 'patch', 'subscribe', 'recover'];
// Vault's legacy `policy = "read"` shorthand.
const LEGACY = new Map<string, Capability[]>([
  ['deny', ['deny']],
  ['read', ['read', 'list']],
  ['write', ['create', 'read', 'update', 'delete', 'list']],
  ['sudo', ['create', 'read', 'update', 'delete', 'list', 'sudo']],
]);

type Dict = Record<string, unknown>;
const dict = (): Dict => Object.create(null) as Dict;
const isDict = (v: unknown): v is Dict => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The entries of a map that HCL-to-JSON converters may write as a list of one-key objects. A key
 * given more than once keeps every value, in order: Vault merges two blocks for one path (a
 * deny in either wins), so the later one must not replace the earlier.
 */
function entries(value: unknown, what: string): Array<[string, unknown]> {
  const list = Array.isArray(value) ? value : [value];
  const out: Array<[string, unknown]> = [];
  for (const item of list) {
    if (!isDict(item)) throw new PolicyParseError(`${what} must be an object`);
    out.push(...Object.entries(item));
  }
  return out;
}

export class PolicyParseError extends Error {}

/** How deep an HCL policy may nest lists and blocks (a JSON one is bounded by the body's depth). */
const MAX_POLICY_DEPTH = 100;

export function parsePolicy(text: string): PolicyRules {
  const trimmed = text.trim();
  const doc = trimmed.startsWith('{') ? parseJson(trimmed) : parseHcl(trimmed);
  return toRules(doc);
}

function parseJson(text: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PolicyParseError('policy is neither valid JSON nor HCL');
  }
  // JSON.parse keeps only the last of two equal keys, so `"x": {deny}, "x": {read}` would lose
  // the deny Vault keeps (it merges the two); such a document is refused instead.
  const dup = duplicateKey(text);
  if (dup !== undefined) throw new PolicyParseError(`"${dup}" appears twice in one JSON object; name each path and field once`);
  return doc;
}

/** The first key that appears twice in one object of a valid JSON text (escapes decoded). */
function duplicateKey(text: string): string | undefined {
  const stack: Array<Set<string> | null> = []; // an object's keys so far; null for an array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (keys && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === '[') {
      stack.push(null);
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      expectKey = false;
    } else if (ch === ',') {
      expectKey = !!stack[stack.length - 1];
    }
  }
  return undefined;
}

function toRules(doc: unknown): PolicyRules {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new PolicyParseError('policy must be an object with a "path" field');
  const extra = Object.keys(doc).filter((k) => k !== 'path');
  if (extra.length) throw new PolicyParseError(`unsupported policy field "${extra[0]}"`);
  const paths = (doc as { path?: unknown }).path;
  if (paths === undefined) return {};
  if (!isDict(paths) && !Array.isArray(paths)) throw new PolicyParseError('"path" must be an object');
  const rules = dict() as PolicyRules;
  for (const [pattern, body] of entries(paths, '"path"')) {
    checkPattern(pattern);
    // One block, a list of them (a converter's form, or the same path written twice): each counts.
    for (const b of Array.isArray(body) ? body : [body]) {
      if (!isDict(b)) throw new PolicyParseError(`path "${pattern}" must be an object`);
      rules[pattern] = [...new Set([...(rules[pattern] ?? []), ...blockCapabilities(pattern, b)])];
    }
  }
  return rules;
}

function blockCapabilities(pattern: string, b: Dict): Capability[] {
  for (const key of Object.keys(b)) {
    if (key !== 'capabilities' && key !== 'policy') throw new PolicyParseError(`path "${pattern}": "${key}" is not supported by lessor`);
  }
  const caps: Capability[] = [];
  if (b.capabilities !== undefined) {
    if (!Array.isArray(b.capabilities)) throw new PolicyParseError(`path "${pattern}": capabilities must be a list`);
    for (const c of b.capabilities) {
      if (!CAPABILITIES.includes(c as Capability)) throw new PolicyParseError(`path "${pattern}": unknown capability "${String(c)}"`);
      caps.push(c as Capability);
    }
  }
  if (b.policy !== undefined) {
    const legacy = LEGACY.get(String(b.policy));
    if (!legacy) throw new PolicyParseError(`path "${pattern}": unknown policy "${String(b.policy)}"`);
    caps.push(...legacy);
  }
  return caps;
}

function checkPattern(p: string) {
  const star = p.indexOf('*');
  if (star >= 0 && star !== p.length - 1) throw new PolicyParseError(`path "${p}": "*" is only allowed at the end`);
  if (p.startsWith('/')) throw new PolicyParseError(`path "${p}" must not start with "/"`);
}

// --- a small HCL reader: blocks, `key = value`, strings, lists, numbers, booleans, comments ---

type Tok = { kind: 'str' | 'ident' | 'num' | 'punct'; value: string };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) i++;
    else if (ch === '#' || (ch === '/' && src[i + 1] === '/')) while (i < src.length && src[i] !== '\n') i++;
    else if (ch === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new PolicyParseError('unterminated comment');
      i = end + 2;
    } else if (ch === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\n') throw new PolicyParseError('unterminated string');
        if (src[j] === '\\') {
          j++;
          s += src[j] === 'n' ? '\n' : src[j] === 't' ? '\t' : src[j];
        } else s += src[j];
        j++;
      }
      if (j >= src.length) throw new PolicyParseError('unterminated string');
      toks.push({ kind: 'str', value: s });
      i = j + 1;
    } else if ('{}[]=,'.includes(ch)) {
      toks.push({ kind: 'punct', value: ch });
      i++;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*|^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) throw new PolicyParseError(`unexpected "${ch}" in policy`);
      toks.push({ kind: /^[A-Za-z_]/.test(m[0]) ? 'ident' : 'num', value: m[0] });
      i += m[0].length;
    }
  }
  return toks;
}

export function parseHcl(src: string): Dict {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const expect = (value: string) => {
    const t = toks[pos++];
    if (!t || t.value !== value || (t.kind !== 'punct' && t.kind !== 'ident')) {
      throw new PolicyParseError(`expected "${value}" in policy, found ${t ? `"${t.value}"` : 'the end'}`);
    }
  };
  function value(): unknown {
    const t = toks[pos++];
    if (!t) throw new PolicyParseError('unexpected end of policy');
    if (t.kind === 'str') return t.value;
    if (t.kind === 'num') return Number(t.value);
    if (t.kind === 'ident' && (t.value === 'true' || t.value === 'false')) return t.value === 'true';
    if (t.value === '[') {
      deeper();
      const list: unknown[] = [];
      while (peek() && !(peek().kind === 'punct' && peek().value === ']')) {
        list.push(value());
        if (peek()?.value === ',') pos++;
      }
      expect(']');
      depth--;
      return list;
    }
    if (t.value === '{') {
      const obj = body('}');
      expect('}');
      return obj;
    }
    throw new PolicyParseError(`unexpected "${t.value}" in policy`);
  }
  // Every list or block nests a call: a bound on the depth keeps a policy of a million "[" a 400
  // instead of a stack overflow. Real policies nest three levels.
  let depth = 0;
  const deeper = () => {
    if (++depth > MAX_POLICY_DEPTH) throw new PolicyParseError(`policy nests deeper than ${MAX_POLICY_DEPTH} levels`);
  };
  function body(close: string | undefined): Dict {
    deeper();
    const obj = dict();
    while (pos < toks.length && !(peek().kind === 'punct' && peek().value === close)) {
      const key = toks[pos++];
      if (key.kind !== 'ident' && key.kind !== 'str') throw new PolicyParseError(`unexpected "${key.value}" in policy`);
      if (peek()?.value === '=') {
        pos++;
        const v = value();
        // Written twice in one block: both lists count (a later `capabilities` must not drop an
        // earlier deny); anything else twice is ambiguous and refused.
        if (key.value in obj) {
          const prev = obj[key.value];
          if (!Array.isArray(prev) || !Array.isArray(v)) throw new PolicyParseError(`"${key.value}" is set twice`);
          obj[key.value] = [...prev, ...v];
        } else {
          obj[key.value] = v;
        }
      } else {
        // block: key "label" { ... }
        const label = toks[pos++];
        if (!label || label.kind !== 'str') throw new PolicyParseError(`expected a quoted label after "${key.value}"`);
        expect('{');
        const inner = body('}');
        expect('}');
        const group = (obj[key.value] ??= dict());
        if (!isDict(group)) throw new PolicyParseError(`"${key.value}" is both a value and a block`);
        // The same label twice (two `path "x"` blocks): both kept, for toRules to merge as Vault does.
        const prev = group[label.value];
        group[label.value] = prev === undefined ? inner : [...(Array.isArray(prev) ? prev : [prev]), inner];
      }
    }
    depth--;
    return obj;
  }
  const doc = body(undefined);
  if (pos < toks.length) throw new PolicyParseError(`unexpected "${toks[pos].value}" in policy`);
  return doc;
}
