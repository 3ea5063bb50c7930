import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

// A token that may only write policies must not be able to change how the process behaves by
// naming a prototype key in policy text: a block type named __proto__ or constructor is refused
// (it is not a Vault policy field), and a path named so is a literal path like any other.

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

t.test('policy text cannot reach Object.prototype, and prototype names are literal paths', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('PUT', 'sys/policies/acl/policy-writer', {
    body: { policy: 'path "sys/policies/acl/*" { capabilities = ["create", "update"] }' },
  });
  const writer = (await tr.call('POST', 'auth/token/create', { body: { policies: ['policy-writer'] } })).body.auth.client_token as string;
  t.equal((await tr.call('POST', 'auth/approle/role/r1', { body: { token_policies: 'default' } })).status, 204);

  const hostile = [
    '__proto__ "public" { }',
    'constructor "keys" { }',
    '__proto__ "sudo" { capabilities = ["sudo"] }',
    'path "x" { __proto__ = "y" }',
    'path "x" { policy = "constructor" }',
    'path "x" { policy = "__proto__" }',
    '{"__proto__": {"public": true}}',
    '{"path": {"x": {"__proto__": {"capabilities": ["read"]}}}}',
  ];
  for (const [i, policy] of hostile.entries()) {
    const res = await tr.call('PUT', `sys/policies/acl/h${i}`, { token: writer, body: { policy } });
    t.equal(res.status, 400, `refused with a 400: ${policy}`);
    t.match(res.body.errors[0], /failed to parse policy/);
  }

  t.equal(({} as Record<string, unknown>).public, undefined, 'no object grew a "public" flag');
  t.equal(typeof Object.keys, 'function', 'Object.keys is still a function');
  t.equal(({} as Record<string, unknown>).sudo, undefined);

  // Authentication is still on for every protected route.
  t.equal((await tr.call('GET', 'auth/approle/role/r1/role-id', { token: null })).status, 403, 'role-id needs a token');
  t.equal((await tr.call('POST', 'auth/approle/role/r1/secret-id', { token: null, body: {} })).status, 403, 'secret-id needs a token');
  t.equal((await tr.call('LIST', 'auth/token/accessors', { token: null })).status, 403, 'accessors need a token');
  // Bodies are still parsed against their own schemas.
  t.equal((await tr.call('POST', 'auth/approle/role/r1', { body: { token_ttl: '1h' } })).status, 204, 'a body write still works');
});

t.test('paths named __proto__, constructor or prototype are ordinary literal rules (HCL and JSON)', async (t) => {
  const tr = await testRuntime(t);
  const hcl = PROTO_KEYS.map((k) => `path "${k}" { capabilities = ["read"] }\npath "${k}/*" { policy = "write" }`).join('\n');
  const json = JSON.stringify({ path: [{ 'sys/__proto__': { capabilities: ['list'] } }, { 'sys/constructor': [{ capabilities: ['update'] }] }] });
  for (const [name, policy] of [['lit-hcl', hcl], ['lit-json', json]]) {
    const res = await tr.call('PUT', `sys/policies/acl/${name}`, { body: { policy } });
    t.equal(res.status, 204, `${name} is stored`);
    t.equal((await tr.call('GET', `sys/policies/acl/${name}`)).body.data.policy, policy, 'and read back as written');
  }
  const token = (await tr.call('POST', 'auth/token/create', { body: { policies: ['lit-hcl', 'lit-json'] } })).body.auth.client_token as string;
  const paths = [...PROTO_KEYS, ...PROTO_KEYS.map((k) => `${k}/a`), 'sys/__proto__', 'sys/constructor', 'toString', 'hasOwnProperty'];
  const caps = await tr.call('POST', 'sys/capabilities-self', { token, body: { paths } });
  t.equal(caps.status, 200);
  t.same(caps.body.data, {
    ['__proto__']: ['read'],
    constructor: ['read'],
    prototype: ['read'],
    '__proto__/a': ['create', 'delete', 'list', 'read', 'update'],
    'constructor/a': ['create', 'delete', 'list', 'read', 'update'],
    'prototype/a': ['create', 'delete', 'list', 'read', 'update'],
    'sys/__proto__': ['list'],
    'sys/constructor': ['update'],
    toString: ['deny'],
    hasOwnProperty: ['deny'],
  }, 'each rule applies to its own literal path only');
});

t.test('secret-ID metadata keys named like prototype members reach the token as plain keys', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'auth/approle/role/m', { body: { token_policies: 'default' } })).status, 204);
  const roleId = (await tr.call('GET', 'auth/approle/role/m/role-id')).body.data.role_id;
  // Text, as Vault takes it: a JSON body object with __proto__ is refused at the edge instead.
  const raw = '{"__proto__":"p","constructor":"c","toString":"s","team":"t"}';
  const secret = await tr.call('POST', 'auth/approle/role/m/secret-id', { body: { metadata: raw } });
  t.equal(secret.status, 200);
  const login = await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secret.body.data.secret_id } });
  t.equal(login.status, 200);
  t.same(login.body.auth.metadata, JSON.parse('{"__proto__":"p","constructor":"c","toString":"s","team":"t","role_name":"m"}'), 'every key as the issuer wrote it');
  const self = await tr.call('GET', 'auth/token/lookup-self', { token: login.body.auth.client_token });
  t.equal(self.status, 200, 'the token works');
  t.same(self.body.data.meta, login.body.auth.metadata);
});
