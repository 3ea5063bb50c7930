import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

// Paths the router refuses before any route (a malformed or cut percent-escape, a segment past
// the parameter limit) answer like every other error, in Vault's {"errors": [...]} shape that
// hvac and node-vault read, and say what is wrong without echoing the path back: a path may
// carry a token (sys/wrapping/unwrap/<token>).

t.test('malformed percent-escapes and over-long segments: a 4xx in Vault\'s shape that does not echo the path', async (t) => {
  const tr = await testRuntime(t);
  const token = 'lsr.pathTokenThatMustNotBeEchoed0123456789';
  const cases: Array<[string, number, RegExp]> = [
    [`/v1/sys/wrapping/unwrap/${token}%E0%A4%A`, 400, /not validly percent-encoded/],
    [`/v1/auth/approle/role/${token}%/role-id`, 400, /not validly percent-encoded/],
    [`/v1/sys/policies/acl/${token}%zz`, 400, /not validly percent-encoded/],
    [`/v1/sys/policies/acl/${token}${'a'.repeat(3000)}`, 414, /longer than 2048 characters/],
  ];
  for (const [url, status, message] of cases) {
    const res = await tr.rt.app.inject({ method: 'GET', url, headers: { 'x-vault-token': tr.rootToken } });
    t.equal(res.statusCode, status, `${url.slice(0, 60)}: ${status}`);
    t.equal(res.headers['content-type'], 'application/json', String(res.headers['content-type']));
    const body = JSON.parse(res.body);
    t.same(Object.keys(body), ['errors'], 'Vault\'s error shape');
    t.match(body.errors[0], message);
    t.notOk(res.body.includes(token), 'the path is not echoed');
  }
  t.equal((await tr.call('GET', 'sys/health')).status, 200, 'the server still serves');
});
