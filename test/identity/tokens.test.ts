import t from 'tap';
import vault from 'node-vault';
import { testRuntime } from '../helpers/test-runtime.js';
import { routeList } from './route-list.js';

// node-vault's tokenCreate switches the client to the token it created; a fresh client per
// call keeps "root" meaning root.
// node-vault rejects with an error carrying the HTTP response.
const status = (statusCode: number) => ({ response: { statusCode } }) as unknown as Error;
const client = (endpoint: string, token: string) => vault({ endpoint, token });

t.test('token create, lookup, renew, revoke end to end with node-vault', async (t) => {
  const tr = await testRuntime(t);
  const endpoint = await tr.listen();
  const root = { tokenCreate: (a: object) => client(endpoint, tr.rootToken).tokenCreate(a), tokenLookup: (a: object) => client(endpoint, tr.rootToken).tokenLookup(a), tokenLookupAccessor: (a: object) => client(endpoint, tr.rootToken).tokenLookupAccessor(a), tokenRevoke: (a: object) => client(endpoint, tr.rootToken).tokenRevoke(a), addPolicy: (a: object) => client(endpoint, tr.rootToken).addPolicy(a) };

  const created = await root.tokenCreate({ policies: ['app'], ttl: '1h', meta: { team: 'orders' }, display_name: 'ci' });
  const auth = created.auth;
  t.match(auth.client_token, /^lsr\.[A-Za-z0-9_-]{43}$/, '256-bit token with the lsr. prefix');
  t.same(auth.policies, ['app', 'default']);
  t.same(auth.token_policies, ['app', 'default']);
  t.same(auth.metadata, { team: 'orders' });
  t.equal(auth.lease_duration, 3600);
  t.equal(auth.renewable, true);
  t.type(auth.accessor, 'string');

  const me = vault({ endpoint, token: auth.client_token });
  const self = (await me.tokenLookupSelf()).data;
  t.equal(self.id, auth.client_token, 'lookup-self shows the owner its token');
  t.notOk('last_renewal_time' in self, 'no last renewal before the first one, as in Vault');
  t.equal(self.accessor, auth.accessor);
  t.equal(self.display_name, 'token-ci');
  t.equal(self.path, 'auth/token/create');
  t.equal(self.orphan, false);
  t.ok(self.ttl > 3590 && self.ttl <= 3600);
  t.same(self.meta, { team: 'orders' });
  t.equal(self.num_uses, 0);
  t.type(self.creation_time, 'number');
  t.ok(Date.parse(self.expire_time) > Date.now());

  const looked = (await root.tokenLookup({ token: auth.client_token })).data;
  t.equal(looked.accessor, auth.accessor);
  const byAccessor = (await root.tokenLookupAccessor({ accessor: auth.accessor })).data;
  t.equal(byAccessor.id, '', 'lookup by accessor never reveals the token');
  t.same(byAccessor.policies, ['app', 'default']);

  const renewed = await me.tokenRenewSelf({ increment: '2h' });
  t.equal(renewed.auth.client_token, auth.client_token);
  t.ok(renewed.auth.lease_duration > 3600, 'renewed beyond the first ttl');
  // Vault sets the expiry to now + increment, so a short increment shortens the token.
  const shortened = await me.tokenRenewSelf({ increment: '10m' });
  t.equal(shortened.auth.lease_duration, 600, 'a short increment shortens the token, as in Vault');
  const after = (await me.tokenLookupSelf()).data;
  t.ok(after.ttl > 590 && after.ttl <= 600, `lookup shows the shortened ttl (${after.ttl})`);
  t.ok(Math.abs(after.last_renewal_time - Date.now() / 1000) < 30, 'last_renewal_time: the renewal just made (unix seconds)');
  t.equal(Math.floor(Date.parse(after.last_renewal) / 1000), after.last_renewal_time, 'last_renewal: the same instant, RFC 3339');

  // A token without the policy cannot create tokens or read others.
  await t.rejects(me.tokenLookup({ token: tr.rootToken }), status(403));

  await me.tokenRevokeSelf();
  await t.rejects(me.tokenLookupSelf(), status(403), 'revoked token is refused');
  await t.rejects(root.tokenLookup({ token: auth.client_token }), status(403), 'as Vault: 403 bad token');

  // The store never holds the token itself.
  const keys = await tr.rt.redis!.keys(`${tr.rt.keys.tag}*`);
  const values = await Promise.all(keys.filter((k) => k.includes(':t:')).map((k) => tr.rt.redis!.hgetall(k)));
  t.notOk(JSON.stringify({ keys, values }).includes(auth.client_token.slice(4)), 'only hashes in Redis');
});

t.test('revoking a parent token revokes its children and grandchildren', async (t) => {
  const tr = await testRuntime(t);
  const endpoint = await tr.listen();
  const root = { tokenCreate: (a: object) => client(endpoint, tr.rootToken).tokenCreate(a), tokenLookup: (a: object) => client(endpoint, tr.rootToken).tokenLookup(a), tokenLookupAccessor: (a: object) => client(endpoint, tr.rootToken).tokenLookupAccessor(a), tokenRevoke: (a: object) => client(endpoint, tr.rootToken).tokenRevoke(a), addPolicy: (a: object) => client(endpoint, tr.rootToken).addPolicy(a) };
  await root.addPolicy({ name: 'maker', rules: JSON.stringify({ path: { 'auth/token/create': { capabilities: ['update'] } } }) });
  const parent = (await root.tokenCreate({ policies: ['maker'] })).auth.client_token;
  const child = (await vault({ endpoint, token: parent }).tokenCreate({ policies: ['maker'] })).auth.client_token;
  const grandchild = (await vault({ endpoint, token: child }).tokenCreate({ policies: ['maker'] })).auth.client_token;
  const orphan = (await root.tokenCreate({ policies: ['maker'], no_parent: true })).auth.client_token;

  const revokedIds: string[][] = [];
  tr.rt.tokens.onRevoked((ids) => void revokedIds.push(ids));

  const lookedUp = (await vault({ endpoint, token: grandchild }).tokenLookupSelf()).data;
  t.equal(lookedUp.orphan, false);

  await root.tokenRevoke({ token: parent });
  for (const [name, tok] of [['parent', parent], ['child', child], ['grandchild', grandchild]]) {
    t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: tok })).status, 403, `${name} revoked`);
  }
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: orphan })).status, 200, 'an orphan survives');
  t.equal(revokedIds.length, 1);
  t.equal(revokedIds[0].length, 3, 'the onRevoked hook hears all three token ids');

  // A child cannot widen its parent's policies.
  const res = await tr.call('POST', 'auth/token/create', { token: orphan, body: { policies: ['maker', 'admin'] } });
  t.equal(res.status, 403);
  t.match(res.body.errors[0], /subset/);
  const noParent = await tr.call('POST', 'auth/token/create', { token: orphan, body: { no_parent: true } });
  t.equal(noParent.status, 403, 'only root may create orphans');
});

t.test('num_uses, expiry and bound CIDRs', async (t) => {
  const tr = await testRuntime(t);
  const twice = (await tr.call('POST', 'auth/token/create', { body: { num_uses: 2 } })).body.auth.client_token;
  const first = await tr.call('GET', 'auth/token/lookup-self', { token: twice });
  t.equal(first.status, 200);
  t.equal(first.body.data.num_uses, 1, 'one use left after the first');
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: twice })).status, 200, 'the last use completes');
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: twice })).status, 403, 'then it is gone');

  const shortLived = (await tr.call('POST', 'auth/token/create', { body: { ttl: 1 } })).body.auth.client_token;
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: shortLived })).status, 200);
  let status = 200;
  for (let i = 0; i < 50 && status === 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await tr.call('GET', 'auth/token/lookup-self', { token: shortLived })).status;
  }
  t.equal(status, 403, 'an expired token is refused');

  const elsewhere = (await tr.call('POST', 'auth/token/create', { body: { bound_cidrs: ['10.0.0.0/8'] } })).body.auth.client_token;
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: elsewhere })).status, 403, 'wrong source address');
  const local = (await tr.call('POST', 'auth/token/create', { body: { bound_cidrs: ['127.0.0.0/8', '::1'] } })).body.auth.client_token;
  t.equal((await tr.call('GET', 'auth/token/lookup-self', { token: local })).status, 200, 'bound to where it is used');
  t.equal((await tr.call('POST', 'auth/token/create', { body: { bound_cidrs: ['nonsense'] } })).status, 400);

  for (const token of [null, 'lsr.not-a-real-token', '']) {
    t.equal((await tr.call('GET', 'auth/token/lookup-self', { token })).status, 403, `token ${JSON.stringify(token)}`);
  }
  t.equal((await tr.call('POST', 'auth/token/create', { body: { colour: 'red' } })).status, 400, 'unknown field');
});

t.test('a token without a policy gets 403 on every protected path', async (t) => {
  const tr = await testRuntime(t);
  const bare = (await tr.call('POST', 'auth/token/create', { body: { no_default_policy: true, policies: [] } })).body.auth;
  t.same(bare.policies, []);
  const routes = routeList(tr.rt.app);
  let protectedCount = 0;
  for (const { method, url } of routes) {
    const path = url.replace(/:[A-Za-z_]+/g, 'x').replace(/\*/g, 'x');
    const m = method === 'SEARCH' ? 'LIST' : method;
    const body = ['POST', 'PUT', 'PATCH'].includes(m) ? {} : undefined;
    const anonymous = await tr.call(m, path, { token: null, body });
    if (anonymous.status !== 403) continue; // a public route (health, logins, JWKS)
    protectedCount++;
    const res = await tr.call(m, path, { token: bare.client_token, body });
    t.equal(res.status, 403, `${m} ${path}`);
  }
  t.ok(protectedCount >= 15, `checked ${protectedCount} protected routes`);
});

t.test('expired tokens are swept with their children, and the revocation hook hears them', async (t) => {
  const tr = await testRuntime(t);
  const parent = (await tr.call('POST', 'auth/token/create', { body: { ttl: 1 } })).body.auth.client_token;
  const child = (await tr.call('POST', 'auth/token/create', { token: parent, body: { ttl: '1h' } })).body.auth;
  t.ok(child.lease_duration <= 1, 'a child never outlives its parent');
  const heard: string[] = [];
  tr.rt.tokens.onRevoked((ids) => void heard.push(...ids));
  let swept = 0;
  for (let i = 0; i < 50 && swept === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    swept = await tr.rt.tokens.sweepExpired();
  }
  t.equal(swept, 2, 'parent and child revoked by the sweep');
  t.equal(heard.length, 2);
  t.equal(await tr.rt.tokens.sweepExpired(), 0, 'nothing left to sweep');
});

t.test('auth/token/accessors lists every token\'s accessor for an admin (vault list auth/token/accessors)', async (t) => {
  for (const devMode of [false, true]) {
    const tr = await testRuntime(t, { devMode });
    const made = await Promise.all([1, 2, 3].map(async () => (await tr.call('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth));
    const client = vault({ endpoint: await tr.listen(), token: tr.rootToken });
    const listed: string[] = (await client.tokenAccessors()).data.keys;
    for (const m of made) t.ok(listed.includes(m.accessor), `${devMode ? 'dev' : 'server'}: ${m.accessor} listed`);
    const root = (await tr.call('GET', 'auth/token/lookup-self')).body.data.accessor;
    t.ok(listed.includes(root), 'the root token too');
    t.equal(listed.length, 4, 'and nothing else');
    await tr.call('POST', 'auth/token/revoke-accessor', { body: { accessor: made[0].accessor } });
    t.notOk((await tr.call('LIST', 'auth/token/accessors')).body.data.keys.includes(made[0].accessor), 'a revoked token drops out');
    t.equal((await tr.call('LIST', 'auth/token/accessors', { token: made[1].client_token })).status, 403, 'listing takes sudo');
  }
});
