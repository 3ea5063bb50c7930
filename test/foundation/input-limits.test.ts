// Hostile input at the edge gets a 400 (or 413) that names the problem and changes nothing, on
// login paths as much as on protected ones: NUL bytes, bodies nested thousands deep, huge bodies,
// and durations no clock can hold (1e309, 99999999999h) wherever a TTL, period or increment goes,
// engine fields (JWT key sets, database static roles) included.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testRuntime } from '../helpers/test-runtime.js';
import { pgHttp } from '../database/http-setup.js';

const nested = (levels: number) => {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { a: v };
  return JSON.stringify(v);
};
const asJson = { 'content-type': 'application/json' };

t.test('a NUL byte in a login path, body field, name or query is a 400 naming the field', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/userpass/users/alice', { body: { password: 'correct horse', token_policies: ['default'] } });
  await tr.call('POST', 'auth/approle/role/ci', { body: { token_policies: ['default'] } });

  const login = await tr.call('POST', 'auth/userpass/login/a%00b', { token: null, body: { password: 'x' } });
  t.equal(login.status, 400, 'NUL in a login path');
  t.match(login.body.errors[0], /username.*NUL/);
  const roleId = await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: '\u0000' } });
  t.equal(roleId.status, 400, 'NUL in a login body');
  t.match(roleId.body.errors[0], /role_id.*NUL/);

  const cases: Array<[string, string, unknown, RegExp]> = [
    ['POST', 'auth/approle/role/a%00b', { token_policies: ['default'] }, /role_name|name|path/],
    ['POST', 'auth/approle/role/ci', { token_policies: ['default', 'a\u0000b'] }, /token_policies\[1\]/],
    ['PUT', 'sys/policies/acl/p', { policy: 'path "x" {\u0000 capabilities = ["read"] }' }, /policy/],
    ['POST', 'auth/token/create', { policies: ['default'], meta: { team: 'or\u0000ders' } }, /meta\.team/],
    ['POST', 'auth/userpass/users/alice', { password: 'pass\u0000word' }, /password/],
    ['GET', 'auth/approle/role/ci?x=%00', undefined, /query\.x/],
  ];
  for (const [method, path, body, field] of cases) {
    const r = await tr.call(method, path, body === undefined ? {} : { body });
    t.equal(r.status, 400, `${method} ${path}`);
    t.match(r.body.errors[0], field, 'the message names the field');
  }
  t.equal((await tr.call('GET', 'sys/policies/acl/p')).status, 404, 'the policy was not written');
  t.equal((await tr.call('POST', 'auth/userpass/login/alice', { token: null, body: { password: 'correct horse' } })).status, 200,
    'alice\'s password is unchanged');
  t.same((await tr.call('GET', 'auth/approle/role/ci')).body.data.token_policies, ['default'], 'the role is unchanged');
});

t.test('a body nested 2,000 deep is a 400 before any handler or audit line; a huge body is a 413', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lessor-limits-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const tr = await testRuntime(t, { env: { LESSOR_AUDIT_FILE: file } });
  const deep = nested(2000);
  for (const [path, token] of [['auth/approle/login', null], ['sys/wrapping/wrap', undefined], ['auth/token/create', undefined]] as const) {
    const r = await tr.call('POST', path, { token, body: deep, headers: { ...asJson, 'x-vault-wrap-ttl': '60s' } });
    t.equal(r.status, 400, `${path}: 400, not 500`);
    t.match(r.body.errors[0], /nested deeper than \d+ levels/);
  }
  const big = JSON.stringify({ policies: ['default'], meta: { pad: 'x'.repeat(2 * 1024 * 1024) } });
  const tooBig = await tr.call('POST', 'auth/token/create', { body: big, headers: asJson });
  t.equal(tooBig.status, 413, 'a body over the size cap');
  t.ok(Array.isArray(tooBig.body.errors));
  const logged = readFileSync(file, 'utf8');
  t.notOk(logged.includes('"a":{"a":{"a"'), 'the deep body never reached the audit log');
  t.equal((await tr.call('GET', 'sys/health', { token: null })).status, 200, 'the server is fine');
  t.equal((await tr.call('POST', 'auth/token/create', { body: nested(20).replace('"x"', '{}') , headers: asJson })).status, 400,
    'a shallow body with an unknown field is still an ordinary schema 400');
});

t.test('1e309, 99999999999h and negative durations are 400s for every TTL, period and increment', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/approle/role/ci', { body: { token_policies: ['default'] } });
  const bad = ['1e309', '99999999999h', '-5', 1e308, '9'.repeat(400)];
  const fields: Array<[string, string, string, Record<string, unknown>]> = [
    ['POST', 'auth/token/create', 'ttl', {}],
    ['POST', 'auth/token/create', 'period', {}],
    ['POST', 'auth/token/create', 'explicit_max_ttl', {}],
    ['POST', 'auth/token/renew-self', 'increment', {}],
    ['POST', 'auth/approle/role/ci', 'token_ttl', {}],
    ['POST', 'auth/approle/role/ci', 'secret_id_ttl', {}],
    ['POST', 'auth/approle/role/ci/secret-id', 'ttl', {}],
    ['PUT', 'sys/leases/renew', 'increment', { lease_id: 'database/creds/x/abc' }],
  ];
  for (const [method, path, field, rest] of fields) {
    for (const v of bad) {
      const r = await tr.call(method, path, { body: { ...rest, [field]: v } });
      t.equal(r.status, 400, `${path} ${field}=${String(v).slice(0, 14)}`);
    }
  }
  t.same((await tr.call('LIST', 'auth/approle/role/ci/secret-id')).body?.data?.keys ?? [], [], 'no secret ID was made');
  // A long but sane TTL still works, and the secret ID it makes can be looked up and destroyed.
  const made = await tr.call('POST', 'auth/approle/role/ci/secret-id', { body: { ttl: '87600h' } });
  t.equal(made.status, 200);
  const secretId = made.body.data.secret_id;
  t.equal((await tr.call('POST', 'auth/approle/role/ci/secret-id/lookup', { body: { secret_id: secretId } })).status, 200);
  t.equal((await tr.call('POST', 'auth/approle/role/ci/secret-id/destroy', { body: { secret_id: secretId } })).status, 204);
});

t.test('out-of-range durations on JWT key sets and database static roles are 400s, not 502s', async (t) => {
  const h = await pgHttp(t);
  for (const v of ['1e309', '99999999999h']) {
    for (const field of ['rotation_period', 'verification_ttl']) {
      const r = await h.tr.call('POST', 'jwt/keys/k', { body: { algorithm: 'ES256', [field]: v } });
      t.equal(r.status, 400, `jwt key ${field}=${v}`);
      t.match(r.body.errors[0], new RegExp(field));
    }
    const r = await h.tr.call('POST', 'database/static-roles/st', { body: { db_name: 'pg', username: 'nobody', rotation_period: v } });
    t.equal(r.status, 400, `static role rotation_period=${v}`);
    t.match(r.body.errors[0], /rotation_period/);
  }
  t.equal((await h.tr.call('LIST', 'jwt/keys')).status, 404, 'no key set was made');
});
