import t from 'tap';
import { decodeJwt } from 'jose';
import { jwtSetup, loginWithMetadata } from './setup.js';

// Claims come from what an operator set (the entity: the login's role and secret-ID metadata),
// never from the metadata a token holder puts on a token it creates.

t.test('a child token cannot forge entity metadata claims with its own meta', async (t) => {
  const s = await jwtSetup(t, {
    role: { claims: { team: '{{identity.entity.metadata.team}}', role: '{{identity.entity.metadata.role_name}}' } },
  });
  const orders = await loginWithMetadata(s.ok, 'orders', `
    path "jwt/token/*" { capabilities = ["read"] }
    path "auth/token/create" { capabilities = ["update"] }`, { team: 'orders' });
  const mint = async (token: string) => {
    const res = await s.tr.call('GET', 'jwt/token/svc', { token });
    t.equal(res.status, 200, 'a JWT is issued');
    return decodeJwt(res.body.data.token);
  };
  t.match(await mint(orders), { team: 'orders', role: 'orders' }, 'the login carries the secret ID metadata an operator set');

  const child = await s.tr.call('POST', 'auth/token/create', { token: orders, body: { meta: { team: 'admins', role_name: 'root' } } });
  t.equal(child.status, 200);
  t.same(child.body.auth.metadata, { team: 'admins', role_name: 'root' }, 'the child token keeps the meta it was given');
  const forged = await mint(child.body.auth.client_token);
  t.equal(forged.team, 'orders', 'but its JWT says the entity team, not the one the caller chose');
  t.equal(forged.role, 'orders');

  // A token with meta and no login behind it has no entity metadata: the claim is left out.
  const bare = await s.tr.call('POST', 'auth/token/create', { body: { policies: ['orders'], meta: { team: 'admins' } } });
  const claims = await mint(bare.body.auth.client_token);
  t.notOk('team' in claims, 'token meta never becomes a claim');
  t.notOk('role' in claims);
});

t.test('identity.token.metadata is not a placeholder: token metadata is not a claim source', async (t) => {
  const s = await jwtSetup(t, { role: { claims: { team: '{{identity.token.metadata.team}}' } } });
  const res = await s.tr.call('GET', 'jwt/token/svc', { token: s.caller });
  t.equal(res.status, 400);
  t.match(res.body.errors[0], /unknown template placeholder \{\{identity\.token\.metadata\.team\}\}/);
});
