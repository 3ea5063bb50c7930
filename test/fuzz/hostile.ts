// Generators of hostile input: values, bodies, path segments, query strings and headers of the
// kinds an attacker sends first (prototype keys, NULs, deep nesting, huge numbers, wrong types,
// case variants of existing names). Values are produced as JSON *text*, so keys like
// `__proto__`, numbers like 1e309 and 10,000-deep nesting reach the server exactly as written
// (a JavaScript object could not hold them).
import fc from 'fast-check';

/** Percent-encodes like a client would; a lone surrogate (which no client can encode) becomes U+FFFD. */
const encode = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, (c, i: number) => {
  const pair = /[\ud800-\udbff][\udc00-\udfff]/;
  return pair.test(s.slice(i, i + 2)) || pair.test(s.slice(i - 1, i + 1)) ? c : '\ufffd';
}));

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', 'public', 'isRoot'];

/** Names that exist in the fuzzed install, so generated requests reach real objects. */
export const KNOWN_NAMES = ['r1', 'r2', 'u1', 'u2', 'narrow', 'app', 'default', 'root', 'pg', 'maria', 'reader', 'mreader', 'orders', 'main', 'svc'];

/** Case variants of a name: the way a deny rule on `r1` is dodged if the store folds case. */
export const caseVariants = (name: string) => fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1)) },
  { weight: 2, arbitrary: fc.constantFrom(name, ` ${name}`, `${name} `, `${name}\u0000`, `${name}%00`) },
);

const hostileText = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '..', '../..', '%00', '%2e%2e', '*', '+', '/', 'a/b', '\\', '\ud800', '\uffff', '\u202e',
  "'; DROP TABLE x; --", '" OR 1=1 --', '${jndi:ldap://x}', '{{identity.entity.metadata.team}}', '{{.Password}}',
  '1e309', '1e309s', '-1e309', '99999999999h', '9999999999999999999s', '-1s', '-1', '0', '0s', '1h', '768h', 'NaN', 'Infinity',
  'true', 'false', 'null', 'a,b', ',', 'root', 'default', 'root,default', 'x'.repeat(300), 'x'.repeat(70_000),
  ...PROTO_KEYS,
);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 2, arbitrary: fc.constantFrom(...KNOWN_NAMES).chain(caseVariants) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

const rawNumber = fc.oneof(
  fc.constantFrom('1e309', '-1e309', '1e-400', '-0', '0', '1', '-1', '0.5', '123456789012345678901234567890', '9007199254740993', '2147483648', '3600'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
);

/** Nesting deep enough to hit recursion limits in parsers, scrubbers and validators. */
const deepNesting = fc.tuple(fc.constantFrom(64, 2_000, 20_000), fc.boolean()).map(([n, arr]) =>
  arr ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n));

const jsonKey = (fields: string[]) => fc.oneof(
  ...(fields.length ? [{ weight: 4, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: fc.constantFrom(...fields).chain(caseVariants) }] : []),
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 1, arbitrary: hostileString },
);

/** Any JSON value as text, hostile leaves more likely than tame ones. */
export const jsonValue: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: hostileString.map((s) => JSON.stringify(s)) },
    { weight: 2, arbitrary: rawNumber },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`) },
    { weight: 1, arbitrary: fc.array(fc.tuple(jsonKey([]), tie('value')), { maxLength: 4 }).map(objectText) },
    { weight: 1, arbitrary: deepNesting },
  ),
})).value;

function objectText(entries: Array<[string, string]>): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/**
 * Field names engines take (their schemas live in the plugins, checked by the core after
 * routing, so the route itself declares none): a body of these reaches the engine's checks.
 */
const ENGINE_FIELDS = [
  'db_name', 'plugin_name', 'connection_url', 'username', 'password', 'allowed_roles', 'verify_connection',
  'creation_statements', 'revocation_statements', 'rotation_statements', 'default_ttl', 'max_ttl', 'ttl',
  'rotation_period', 'key_prefix', 'scopes', 'metadata', 'algorithm', 'key', 'audience', 'issuer', 'claims',
  'verification_ttl', 'api_key', 'token', 'lease_id', 'increment', 'username_template', 'password_policy',
];

type FieldSchema = { type?: unknown; anyOf?: unknown; oneOf?: unknown };

const DURATIONS = ['"1e309"', '"1e309s"', '"-1e309"', '1e309', '-1e309', '"99999999999h"', '99999999999999', '"9999999999999999999s"', '"-1s"', '-1', '"NaN"', '"Infinity"', '"1h"', '"768h"', '0', '"5m"'];
const POLICY_TEXTS = [
  '__proto__ "public" { }', 'constructor "keys" { }', 'path "__proto__" { capabilities = ["read"] }',
  'path "*" { capabilities = ["sudo", "read", "update"] }', '{"path":{"__proto__":{"capabilities":["read"]}}}',
  '{"__proto__":{"public":true}}', 'path "x\u0000" { capabilities = ["read"] }', 'path "x" { capabilities = ["__proto__"] }',
];

/** Values aimed at what a field means: out-of-range durations, prototype-poisoning policies, root asked for. */
function meaningfulValue(name: string): fc.Arbitrary<string> | undefined {
  if (/ttl|period|increment|rotation|max_age|timeout/i.test(name)) return fc.constantFrom(...DURATIONS);
  if (/^(policy|rules)$/.test(name)) return fc.constantFrom(...POLICY_TEXTS).map((p) => JSON.stringify(p));
  if (/polic/.test(name)) return fc.constantFrom('"root"', '["root"]', '"root,default"', '["__proto__"]', '"R00T"', '["ROOT"]');
  if (/meta|claims/.test(name)) return fc.constantFrom('{"__proto__":{"public":true}}', '{"team":"admins"}', '{"a":"\\u0000"}', '{"constructor":{"prototype":{"x":1}}}');
  return undefined;
}

/** A value of roughly the type a field declares, hostile inside, so it passes type checks and goes deeper. */
function typedValue(name: string, schema: FieldSchema): fc.Arbitrary<string> {
  const types = [schema.type].flat().filter((x): x is string => typeof x === 'string');
  const arbs: fc.Arbitrary<string>[] = [];
  if (types.includes('string') || !types.length) arbs.push(hostileString.map((v) => JSON.stringify(v)));
  if (types.includes('integer') || types.includes('number')) arbs.push(rawNumber);
  if (types.includes('boolean')) arbs.push(fc.constantFrom('true', 'false', '"t"', '"0"'));
  if (types.includes('array')) arbs.push(fc.array(hostileString, { maxLength: 3 }).map((v) => JSON.stringify(v)));
  if (types.includes('object')) arbs.push(fc.array(fc.tuple(jsonKey([]), hostileString.map((v) => JSON.stringify(v))), { maxLength: 3 }).map(objectText));
  const aimed = meaningfulValue(name);
  return aimed ? fc.oneof({ weight: 2, arbitrary: aimed }, { weight: 1, arbitrary: fc.oneof(...arbs) }) : fc.oneof(...arbs);
}

/** A request body as raw text: mostly objects over the route's own fields, sometimes not JSON. */
export function bodyText(fields: Record<string, FieldSchema>): fc.Arbitrary<string | undefined> {
  const names = Object.keys(fields);
  const known = names.length ? names : ENGINE_FIELDS;
  const entry = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known).chain((k) => fc.tuple(fc.constant(k), fc.oneof({ weight: 3, arbitrary: typedValue(k, fields[k] ?? {}) }, { weight: 1, arbitrary: jsonValue }))) },
    { weight: 1, arbitrary: fc.tuple(jsonKey(known), jsonValue) },
  );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: fc.uniqueArray(entry, { maxLength: 5, selector: ([k]) => k }).map(objectText) },
    { weight: 1, arbitrary: jsonValue },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]', '"x"', '{"a":1,"a":2}', '{"__proto__":{"public":true}}', 'not json', '\u0000', '{"policy":"__proto__ \\"public\\" { }"}') },
  );
}

/**
 * One path segment as it appears in the URL (already percent-encoded where it must be): the
 * names that exist at this route and their case variants, other names, prototype keys, NULs,
 * traversal, malformed escapes, and values past the router's 2048-character parameter limit.
 */
export function pathSegment(names: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...names).chain(caseVariants).map(encode) },
    { weight: 2, arbitrary: fc.constantFrom(...KNOWN_NAMES).chain(caseVariants).map(encode) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 2, arbitrary: fc.constantFrom('%00', 'a%00b', '..', '.', '%2e%2e', '%2F', 'a%2Fb', '%zz', '%', '%C0%AF', '%E2%80%AE', '*', '+', '%20', 'a;b', 'A', 'x'.repeat(200), 'x'.repeat(3000)) },
    { weight: 2, arbitrary: hostileString.map(encode) },
  );
}

/** What fills a `*` route: zero to three segments. */
export const pathTail = fc.array(pathSegment(KNOWN_NAMES), { maxLength: 3 }).map((xs) => xs.join('/'));

export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('list=true', 'list=TRUE', 'list=%00', 'list=1&list=0', 'list=', '__proto__[public]=1', 'constructor.prototype.x=1', 'a=%zz', '%00=%00', `x=${'y'.repeat(5000)}`, 'help=1', 'wrap_ttl=1e309s') },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS, 'list', 'token', 'ttl'), hostileString).map(([k, v]) => `${encode(k)}=${encode(v)}`) },
);

/** Header values must be visible ASCII on the wire (Node refuses others before any server code). */
const headerValue = fc.oneof(
  fc.constantFrom('', '1e309s', '768h', '-1', '0', 'abc', 'null', 'true', '__proto__', 'x'.repeat(4000)),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
);

/** Most requests carry no extra header, so a header refused up front does not hide the rest. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.record({
  'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'x/y'),
  'x-vault-wrap-ttl': fc.oneof(fc.constantFrom('768h', '60s', '5m', '1h', '99999999h', '1e309s'), headerValue),
  'x-vault-request': fc.constant('true'),
  'x-forwarded-for': headerValue,
  authorization: headerValue.map((v) => `Bearer ${v}`),
  'x-vault-namespace': headerValue,
}, { requiredKeys: [] }) });

/** A token an anonymous caller might send: empty, malformed, or well-formed but unknown. */
export const bogusToken: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('', 'root', 'null', 'lsr.', `lsr.${'A'.repeat(43)}`, 's.abc', '__proto__', 'x'.repeat(5000)),
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 50 }),
);
