import t from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

// A policy may name one path twice (policies pasted together, a block written in two pieces). Vault
// merges the rules for one path: the capabilities add up and a deny in any of them wins. A later
// block must never silently replace an earlier one, or an operator's deny is dropped.

async function statusWith(tr: TestRuntime, name: string, policy: string): Promise<number> {
  const write = await tr.call('PUT', `sys/policies/acl/${name}`, { body: { policy } });
  if (write.status !== 204) return write.status;
  const token = (await tr.call('POST', 'auth/token/create', { body: { policies: [name] } })).body.auth.client_token as string;
  return (await tr.call('GET', 'sys/key-status', { token })).status;
}

t.test('the same path twice in one policy: capabilities add up, a deny wins', async (t) => {
  const tr = await testRuntime(t);
  const read = '{ capabilities = ["read"] }';
  const deny = '{ capabilities = ["deny"] }';
  t.equal(await statusWith(tr, 'read-then-deny', `path "sys/key-status" ${read}\npath "sys/key-status" ${deny}`), 403, 'a later deny holds');
  t.equal(await statusWith(tr, 'deny-then-read', `path "sys/key-status" ${deny}\npath "sys/key-status" ${read}`), 403, 'an earlier deny holds');
  t.equal(
    await statusWith(tr, 'deny-twice-in-block', 'path "sys/key-status" { capabilities = ["deny"]\n capabilities = ["read"] }'),
    403,
    'capabilities written twice in one block: the deny holds',
  );
  t.equal(
    await statusWith(tr, 'json-list', JSON.stringify({ path: [{ 'sys/key-status': { capabilities: ['deny'] } }, { 'sys/key-status': { capabilities: ['read'] } }] })),
    403,
    'a converter\'s list form naming the path twice: the deny holds',
  );
  t.equal(await statusWith(tr, 'read-then-list', `path "sys/key-status" ${read}\npath "sys/key-status" { capabilities = ["list"] }`), 200, 'read and list add up');
  t.equal(await statusWith(tr, 'policy-twice', 'path "sys/key-status" { policy = "read"\n policy = "deny" }'), 400, 'a value set twice is refused');
  t.match((await tr.call('PUT', 'sys/policies/acl/policy-twice', { body: { policy: 'path "x" { policy = "read"\n policy = "deny" }' } })).body.errors[0], /"policy" is set twice/);

  // JSON.parse would keep only the last of two equal keys: such a policy is refused instead.
  const jsonDeny = '{"path":{"sys/key-status":{"capabilities":["deny"]},"sys/key-status":{"capabilities":["read"]}}}';
  t.equal(await statusWith(tr, 'json-twice', jsonDeny), 400, 'a JSON object naming a path twice is refused');
  t.equal(await statusWith(tr, 'json-escaped', jsonDeny.replace('"sys/key-status":{"capabilities":["read"]', '"sys/key\\u002dstatus":{"capabilities":["read"]')), 400, 'also when one spelling is escaped');
  t.equal(await statusWith(tr, 'json-field-twice', '{"path":{"sys/key-status":{"capabilities":["deny"],"capabilities":["read"]}}}'), 400, 'and a field twice');
  t.equal(
    await statusWith(tr, 'json-ok', '{"path":{"sys/key-status":{"capabilities":["read"]},"sys/health":{"capabilities":["read"]}}}'),
    200,
    'the same field in two objects is fine',
  );
});
