import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

// Policy text is up to a 1 MiB body, parsed by a recursive-descent HCL parser: a policy that
// nests lists or blocks a hundred thousand deep is a 400 from a bounded parser, not a 500 from a
// stack overflow, and ordinary policies with many blocks are unaffected by the bound.

t.test('a deeply nested HCL policy is a 400, not a 500', async (t) => {
  const tr = await testRuntime(t);
  const cases = {
    lists: 'path "x" { capabilities = ' + '['.repeat(300_000) + ' }',
    values: 'a = ' + '{ a = '.repeat(150_000),
    blocks: 'path "x" ' + '{ a "b" '.repeat(100_000),
  };
  for (const [name, policy] of Object.entries(cases)) {
    const r = await tr.call('PUT', `sys/policies/acl/deep-${name}`, { body: { policy } });
    t.equal(r.status, 400, `nested ${name}: 400`);
    t.match(r.body.errors[0], /nests deeper than 100 levels/);
  }
  const many = Array.from({ length: 500 }, (_, i) => `path "p${i}/*" { capabilities = ["read", "list"] }`).join('\n');
  t.equal((await tr.call('PUT', 'sys/policies/acl/many-blocks', { body: { policy: many } })).status, 204, 'five hundred blocks side by side are fine');
  t.equal((await tr.call('GET', 'sys/health')).status, 200, 'the server is still up');
});
