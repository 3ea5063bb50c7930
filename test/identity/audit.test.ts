import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vault from 'node-vault';
import { testRuntime } from '../helpers/test-runtime.js';

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

t.test('one line per request and per response, secrets HMACed, findable with sys/audit-hash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lessor-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const tr = await testRuntime(t, { env: { LESSOR_AUDIT_FILE: file } });

  const created = await tr.call('POST', 'auth/token/create', { body: { policies: ['default'], meta: { team: 'orders' } } });
  const token = created.body.auth.client_token;
  const accessor = created.body.auth.accessor;
  await tr.call('GET', 'auth/token/lookup-self', { token });
  await tr.call('GET', 'sys/key-status', { token }); // refused: 403

  const entries = lines(file);
  const create = entries.filter((e) => e.request?.path === 'auth/token/create');
  t.same(create.map((e) => e.type), ['request', 'response'], 'a request line and a response line');
  const [req, res] = create;
  t.equal(req.request.id, res.request.id);
  t.equal(req.request.operation, 'update');
  t.match(req.auth.client_token, /^hmac-sha256:[0-9a-f]{64}$/);
  t.same(req.request.data.meta, { team: res.response.auth.metadata.team }, 'request data and response auth both HMACed the same way');
  t.match(req.request.data.meta.team, /^hmac-sha256:/);
  t.match(res.response.auth.client_token, /^hmac-sha256:[0-9a-f]{64}$/);
  const accessorHash = (await tr.call('POST', 'sys/audit-hash', { body: { input: accessor } })).body.data.hash;
  t.equal(res.response.auth.accessor, accessorHash, 'accessors HMACed, as Vault does by default (hmac_accessor)');
  t.same(res.response.auth.policies, ['default']);
  t.equal(res.response.status, 200);

  const hashed = await tr.call('POST', 'sys/audit-hash', { body: { input: token } });
  t.equal(hashed.status, 200);
  t.equal(hashed.body.data.hash, res.response.auth.client_token, 'sys/audit-hash finds the token in the log');
  const lookup = entries.find((e) => e.type === 'request' && e.request.path === 'auth/token/lookup-self');
  t.equal(lookup.auth.client_token, hashed.body.data.hash);
  t.equal(lookup.auth.accessor, accessorHash);
  const denied = entries.filter((e) => e.request?.path === 'sys/key-status');
  t.same(denied.map((e) => e.type), ['request', 'response'], 'refused requests are audited too');
  t.equal(denied[1].response.status, 403);

  const text = readFileSync(file, 'utf8');
  t.notOk(text.includes(token), 'the token never appears in clear');
  t.notOk(text.includes(tr.rootToken), 'nor the root token');
  t.notOk(text.includes(hashed.body.data.hash.slice(12)) && text.includes(token.slice(4)), 'sanity');
});

t.test('a failing audit sink makes requests fail, and nothing is handed out', async (t) => {
  const full = await testRuntime(t, { env: { LESSOR_AUDIT_FILE: '/dev/full' } });
  const res = await full.call('POST', 'auth/token/create', { body: {} });
  t.equal(res.status, 500, 'disk full: 500');
  t.notOk(JSON.stringify(res.body).includes('lsr.'), 'no token in the answer');
  t.match(res.body.errors[0], /audit/);
  t.equal((await full.call('GET', 'sys/health')).status, 500, 'every answer is withheld');

  // A sink that breaks while running: the audit file's path turns into a directory.
  const dir = mkdtempSync(join(tmpdir(), 'lessor-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const tr = await testRuntime(t, { env: { LESSOR_AUDIT_FILE: file } });
  t.equal((await tr.call('POST', 'auth/token/create', { body: {} })).status, 200);
  rmSync(file);
  mkdirSync(file);
  const after = await tr.call('POST', 'auth/token/create', { body: {} });
  t.equal(after.status, 500);
  t.equal(after.body.auth, undefined, 'no auth block');
  await tr.call('POST', 'auth/approle/role/r', { body: {} });
  rmSync(file, { recursive: true });
  t.equal((await tr.call('GET', 'auth/token/lookup-self')).status, 200, 'recovers when the sink works again');
  t.equal((await tr.call('GET', 'auth/approle/role/r')).status, 404, 'the write whose audit failed was refused before it ran');
});

t.test('sys/audit lists the configured sinks (vault audit list); enabling or disabling one over the API is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lessor-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const tr = await testRuntime(t, { env: { LESSOR_AUDIT_FILE: file } });
  const list = await tr.call('GET', 'sys/audit');
  t.equal(list.status, 200);
  t.same(list.body.data, { 'file/': { type: 'file', description: '', local: false, path: 'file/', options: { file_path: file } } });
  const client = vault({ endpoint: await tr.listen(), token: tr.rootToken });
  t.match((await client.audits()).data, { 'file/': { type: 'file' } }, 'node-vault audits()');

  const plain = (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
  t.equal((await tr.call('GET', 'sys/audit', { token: plain })).status, 403, 'listing takes sudo, as in Vault');
  for (const method of ['PUT', 'DELETE'] as const) {
    const r = await tr.call(method, 'sys/audit/file', { body: method === 'PUT' ? { type: 'file', options: { file_path: '/tmp/x' } } : undefined });
    t.equal(r.status, 400, `${method} sys/audit/file`);
    t.match(r.body.errors.join(' '), /LESSOR_AUDIT_FILE/);
  }
  t.same((await tr.call('GET', 'sys/audit')).body.data['file/'].options, { file_path: file }, 'nothing changed');
  const logged = lines(file).filter((e) => e.request?.path === 'sys/audit/file');
  t.ok(logged.length >= 2, 'the refused attempts are themselves in the audit log');

  const none = await testRuntime(t);
  t.same((await none.call('GET', 'sys/audit')).body.data, {}, 'no sinks configured: an empty map');
});

t.test('data wrapped with sys/wrapping/wrap never reaches the audit log in clear, whatever its field names', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lessor-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const tr = await testRuntime(t, { env: { LESSOR_AUDIT_FILE: file } });
  // `keys` and `policies` are identifiers in lessor's own answers and logged in clear there.
  const secret = { keys: 'wrapped-secret-one', policies: ['wrapped-secret-two'], nested: { accessor: 'wrapped-secret-three' } };
  const wrapped = await tr.call('POST', 'sys/wrapping/wrap', { headers: { 'x-vault-wrap-ttl': '60s' }, body: secret });
  t.equal(wrapped.status, 200);
  const out = await tr.call('POST', 'sys/wrapping/unwrap', { token: wrapped.body.wrap_info.token });
  t.same(out.body.data, secret, 'unwrapped intact');
  const log = readFileSync(file, 'utf8');
  for (const s of ['wrapped-secret-one', 'wrapped-secret-two', 'wrapped-secret-three']) t.notOk(log.includes(s), `${s} not in the audit log`);
  const hash = (await tr.call('POST', 'sys/audit-hash', { body: { input: 'wrapped-secret-one' } })).body.data.hash;
  const wraps = lines(file).filter((e) => e.request?.path === 'sys/wrapping/wrap' && e.type === 'request');
  t.equal(wraps[0]?.request.data.keys, hash, 'the wrap request, HMACed');
  const unwraps = lines(file).filter((e) => e.request?.path === 'sys/wrapping/unwrap' && e.type === 'response');
  t.equal(unwraps[0]?.response.data.keys, hash, 'the unwrap answer, HMACed');
});
