// No secret is readable in the audit log or in an answer, even in pieces: a token given in any
// field or in the path, numbers and booleans of wrapped data, and parts of a generated password
// that a database echoed (folded to lower case, or cut where parsing stopped).
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testRuntime } from '../helpers/test-runtime.js';
import { pgHttp } from '../database/http-setup.js';

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function audited(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'lessor-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const tr = await testRuntime(t, { env: { LESSOR_AUDIT_FILE: file } });
  const hash = async (input: string) => (await tr.call('POST', 'sys/audit-hash', { body: { input } })).body.data.hash as string;
  return { tr, file, hash, text: () => readFileSync(file, 'utf8') };
}

t.test('a token or accessor never shows in the audit log, whichever field or path it was sent in', async (t) => {
  const { tr, file, hash, text } = await audited(t);
  const made = await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } });
  const { client_token: token, accessor } = made.body.auth;

  // A token pasted where an accessor goes, and the real accessor, in body fields.
  t.ok((await tr.call('POST', 'auth/token/lookup-accessor', { body: { accessor: token } })).status >= 400, 'no token has that accessor');
  t.equal((await tr.call('POST', 'auth/token/lookup-accessor', { body: { accessor } })).status, 200);
  // Vault's legacy forms that carry the token in the path (lessor does not serve them).
  await tr.call('GET', `auth/token/lookup/${token}`);
  await tr.call('POST', `sys/wrapping/unwrap/${token}`, { body: {} });
  await tr.call('GET', `anything/${encodeURIComponent(token)}/else`);
  // The accessor list and the accessor in every auth block.
  t.equal((await tr.call('LIST', 'auth/token/accessors')).status, 200);
  await tr.call('GET', 'auth/token/lookup-self', { token });

  const log = text();
  t.notOk(log.includes(token), 'the token is nowhere in clear');
  t.notOk(log.includes(token.slice(4)), 'not even without its prefix');
  t.notOk(log.includes(accessor), 'nor the accessor (Vault HMACs accessors unless hmac_accessor=false)');

  const tokenHash = await hash(token);
  const accessorHash = await hash(accessor);
  const entries = lines(file);
  const paths = entries.filter((e) => e.type === 'request').map((e) => e.request.path);
  t.ok(paths.includes(`auth/token/lookup/${tokenHash}`), 'the path keeps its endpoint; the token segment is HMACed');
  t.ok(paths.includes(`sys/wrapping/unwrap/${tokenHash}`), 'the same for sys/wrapping/...');
  t.ok(paths.includes(`anything/${tokenHash}/else`), 'and for a token-shaped segment of any path');
  const byAccessor = entries.filter((e) => e.type === 'request' && e.request.path === 'auth/token/lookup-accessor');
  t.same(byAccessor.map((e) => e.request.data.accessor), [tokenHash, accessorHash], 'accessor fields HMACed, findable with sys/audit-hash');
  const self = entries.find((e) => e.type === 'response' && e.request.path === 'auth/token/lookup-self');
  t.equal(self.auth.accessor, accessorHash, "the caller's own accessor, HMACed");
  t.equal(self.response.data.accessor, accessorHash, 'the accessor in the answer, HMACed');
});

t.test('numbers and booleans in wrapped data are HMACed like strings', async (t) => {
  const { tr, file, hash, text } = await audited(t);
  const secret = { pin: 73105519, ratio: 0.6180339887, enabled: true, nested: [{ code: 88172634 }] };
  const wrapped = await tr.call('POST', 'sys/wrapping/wrap', { headers: { 'x-vault-wrap-ttl': '60s' }, body: secret });
  t.equal(wrapped.status, 200);
  const out = await tr.call('POST', 'sys/wrapping/unwrap', { token: wrapped.body.wrap_info.token });
  t.same(out.body.data, secret, 'unwrapped intact');
  const log = text();
  for (const n of ['73105519', '6180339887', '88172634']) t.notOk(log.includes(n), `${n} not in the audit log`);
  const entries = lines(file);
  const wrap = entries.find((e) => e.type === 'request' && e.request.path === 'sys/wrapping/wrap');
  const unwrap = entries.find((e) => e.type === 'response' && e.request.path === 'sys/wrapping/unwrap');
  t.equal(wrap.request.data.pin, await hash('73105519'), 'a number is HMACed as its decimal text');
  t.equal(unwrap.response.data.pin, await hash('73105519'), 'in the unwrap answer too');
  t.equal(unwrap.response.data.enabled, await hash('true'), 'a boolean as true/false');
  t.equal(unwrap.response.data.nested[0].code, await hash('88172634'), 'at any depth');
  // A number in an ordinary request body is HMACed as Vault's json.Number is.
  await tr.call('POST', 'auth/token/create', { body: { policies: ['default'], num_uses: 7345 } });
  const create = lines(file).find((e) => e.type === 'request' && e.request.path === 'auth/token/create');
  t.equal(create.request.data.num_uses, await hash('7345'));
});

t.test('a database error that echoes part of a generated password reaches the caller without it', async (t) => {
  const { tr, fx } = await pgHttp(t);
  // Passwords of Z, Q and '.' only: no such run appears in PostgreSQL's own wording. Inside a DO
  // body the password stands unquoted (it is plain), so PostgreSQL folds it to lower case
  // ('column "zqqz…" does not exist') or quotes the piece before a '.' ('at or near "ZQ"').
  const cfg = await tr.call('POST', 'database/config/target', { body: { ...fx.config, allowed_roles: ['*'], password_policy: { length: 30, charset: 'ZQ.' } } });
  t.equal(cfg.status, 204);
  for (const [name, stmt] of [
    ['folded', 'DO $$ BEGIN PERFORM {{password}}; END $$'],
    ['cut', 'DO $$ BEGIN CREATE ROLE x PASSWORD {{password}}; END $$'],
  ] as const) {
    t.equal((await tr.call('POST', `database/roles/${name}`, { body: { db_name: 'target', creation_statements: stmt } })).status, 204);
    for (let i = 0; i < 3; i++) {
      const res = await tr.call('GET', `database/creds/${name}`);
      t.ok(res.status >= 400, `${name}: the creation failed (${res.status})`);
      const message = res.body.errors.join(' ');
      t.match(message, /creation statements failed: \S/, `${name}: the database's reason is kept: ${message}`);
      t.notMatch(message, /[ZQ]/, `${name}: no piece of the password as generated`);
      t.notMatch(message, /"[zq.]+"/i, `${name}: nor folded to lower case or cut at a '.'`);
    }
  }
  const leaked = tr.logLines.filter((l) => /[ZQ.]{4}|"[zq.]+"/i.test(l));
  t.same(leaked, [], 'nor in the service log');
});
