// Defence in depth against prototype pollution: the access hook reads a route's flags (public,
// sudo, capabilities, exists) as the route's own properties only. Even with `public` planted on
// Object.prototype, an anonymous request to a protected route is refused.
import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('a polluted Object.prototype.public makes no route public', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'auth/approle/role/ci', { body: { token_policies: ['default'] } })).status, 204);
  const proto = Object.prototype as Record<string, unknown>;
  let anonymous: Awaited<ReturnType<typeof tr.call>>;
  let roleId: Awaited<ReturnType<typeof tr.call>>;
  proto.public = true;
  try {
    anonymous = await tr.call('LIST', 'auth/approle/role', { token: null });
    roleId = await tr.call('GET', 'auth/approle/role/ci/role-id', { token: null });
  } finally {
    delete proto.public;
  }
  t.equal(anonymous.status, 403, 'LIST of roles still needs a token');
  t.equal(roleId.status, 403, 'reading a role ID still needs a token');
  t.equal((await tr.call('LIST', 'auth/approle/role')).status, 200, 'root still lists them');
});
