import t from 'tap';
import { decodeJwt } from 'jose';
import { jwtSetup } from '../plugins-jwt/setup.js';

// A JWT-signing role's claims template may be JSON text (as Vault takes it), which the request
// body's depth limit never sees. Rendering it walks every level, so one nested thirty thousand
// deep must be a 400 that says what is wrong (not a stack overflow reported as the key set's
// failure), and a template of ordinary depth still renders.

t.test('a claims template nested too deep is a 400 at issue, not a stack overflow', async (t) => {
  const s = await jwtSetup(t, {});
  const deep = {
    objects: '{"a":'.repeat(6000) + '"{{identity.entity.name}}"' + '}'.repeat(6000),
    lists: '{"x":' + '['.repeat(30000) + '"{{identity.entity.name}}"' + ']'.repeat(30000) + '}',
  };
  for (const [name, claims] of Object.entries(deep)) {
    t.equal((await s.tr.call('POST', `jwt/roles/deep-${name}`, { body: { key: 'main', ttl: '60s', claims } })).status, 204);
    const res = await s.tr.call('GET', `jwt/token/deep-${name}`, { token: s.caller });
    t.equal(res.status, 400, `${name}: 400`);
    t.match(res.body.errors[0], /claims nest deeper than 32 levels/);
  }
  const nested = { org: { team: { members: ['{{identity.entity.name}}'] } } };
  t.equal((await s.tr.call('POST', 'jwt/roles/nested', { body: { key: 'main', ttl: '60s', claims: JSON.stringify(nested) } })).status, 204);
  const ok = await s.tr.call('GET', 'jwt/token/nested', { token: s.caller });
  t.equal(ok.status, 200);
  t.ok(Array.isArray((decodeJwt(ok.body.data.token) as any).org.team.members), 'a few levels render as before');
});
