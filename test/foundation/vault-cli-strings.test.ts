// `vault write path k=v …` sends every value as a JSON string: numbers ("5"), booleans
// ("false") and lists as comma-separated strings ("a,b"), which Vault splits for its
// comma-list fields. A Vault user's existing scripts must mean the same thing here.
import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('AppRole role written the way the Vault CLI writes it', async (t) => {
  const tr = await testRuntime(t);
  const w = await tr.call('POST', 'auth/approle/role/ci', {
    body: {
      token_policies: 'reader, writer',
      token_bound_cidrs: '127.0.0.1/32,10.0.0.0/8',
      secret_id_bound_cidrs: '127.0.0.1/32,192.168.0.0/16',
      secret_id_num_uses: '5',
      token_ttl: '60',
      token_num_uses: '0',
      bind_secret_id: 'true',
    },
  });
  t.equal(w.status, 204, JSON.stringify(w.body));
  const r = (await tr.call('GET', 'auth/approle/role/ci')).body.data;
  t.same(r.token_policies, ['reader', 'writer'], 'token_policies split on commas');
  t.same(r.token_bound_cidrs, ['127.0.0.1/32', '10.0.0.0/8']);
  t.same(r.secret_id_bound_cidrs, ['127.0.0.1/32', '192.168.0.0/16']);
  t.equal(r.secret_id_num_uses, 5);
  t.equal(r.token_ttl, 60);
  t.equal(r.bind_secret_id, true);

  const roleId = (await tr.call('GET', 'auth/approle/role/ci/role-id')).body.data.role_id;
  const secretId = (await tr.call('POST', 'auth/approle/role/ci/secret-id')).body.data.secret_id;
  const login = await tr.call('POST', 'auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } });
  t.equal(login.status, 200, JSON.stringify(login.body));
  t.same(login.body.auth.token_policies, ['default', 'reader', 'writer'], 'the login token holds both policies');
});

t.test('token create with Vault CLI strings', async (t) => {
  const tr = await testRuntime(t);
  const c = await tr.call('POST', 'auth/token/create', {
    body: { policies: 'alpha,beta', num_uses: '3', renewable: 'false', ttl: '600', bound_cidrs: '127.0.0.1/32,::1/128' },
  });
  t.equal(c.status, 200, JSON.stringify(c.body));
  t.same([...c.body.auth.policies].sort(), ['alpha', 'beta', 'default'], 'policies split on commas');
  t.equal(c.body.auth.renewable, false, '"false" is false');
  const look = await tr.call('POST', 'auth/token/lookup', { body: { token: c.body.auth.client_token } });
  t.equal(look.body.data.num_uses, 3);
  t.same(look.body.data.bound_cidrs, ['127.0.0.1/32', '::1/128']);
});

t.test('api-key role scopes as a comma-separated string', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'apikey/roles/svc', { body: { scopes: 'orders:read, orders:write', default_ttl: '3600' } })).status, 204);
  const role = (await tr.call('GET', 'apikey/roles/svc')).body.data;
  t.same(role.scopes, ['orders:read', 'orders:write']);
  t.equal(role.default_ttl, 3600);
  const creds = await tr.call('GET', 'apikey/creds/svc');
  t.same(creds.body.data.scopes, ['orders:read', 'orders:write'], 'issued keys carry both scopes');
  const tooLong = await tr.call('POST', 'apikey/roles/bad', { body: { scopes: `ok,${'x'.repeat(257)}` } });
  t.equal(tooLong.status, 400, 'the limits on one scope still hold after splitting');
  t.equal((await tr.call('GET', 'apikey/roles/bad')).status, 404, 'and nothing was stored');
});

t.test('database config with Vault CLI strings: allowed_roles, numbers and booleans', async (t) => {
  const tr = await testRuntime(t);
  // verify_connection=false: the config is stored without reaching the database.
  const cfg = await tr.call('POST', 'database/config/pg', {
    body: {
      plugin_name: 'postgresql-database-plugin',
      connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/none',
      username: 'admin',
      password: 'not-used',
      allowed_roles: 'reader, writer',
      verify_connection: 'false',
      max_open_connections: '5',
    },
  });
  t.equal(cfg.status, 204, JSON.stringify(cfg.body));
  const read = (await tr.call('GET', 'database/config/pg')).body.data;
  t.same(read.allowed_roles, ['reader', 'writer']);
  t.equal(read.verify_connection, false);
  t.equal(read.max_open_connections, 5);
  const role = (name: string) => tr.call('POST', `database/roles/${name}`, {
    body: { db_name: 'pg', creation_statements: 'CREATE ROLE "{{name}}" LOGIN PASSWORD \'{{password}}\'', default_ttl: '1h' },
  });
  t.equal((await role('writer')).status, 204, 'the second listed role is allowed');
  const other = await role('admin');
  t.equal(other.status, 400, 'a role not listed is refused');
  t.match(other.body.errors.join(' '), /not allowed/);
  const statements = (await tr.call('GET', 'database/roles/writer')).body.data.creation_statements;
  t.same(statements, ['CREATE ROLE "{{name}}" LOGIN PASSWORD \'{{password}}\''], 'statements are not split on commas (Vault: TypeStringSlice)');
});

t.test('booleans in every spelling Go\'s ParseBool takes, as `vault write … orphan=1` sends them', async (t) => {
  const tr = await testRuntime(t);
  for (const [sent, meant] of [['1', true], ['t', true], ['TRUE', true], ['True', true], ['0', false], ['f', false], ['FALSE', false], ['F', false]] as const) {
    t.equal((await tr.call('POST', 'auth/token/roles/ci', { body: { orphan: sent } })).status, 204, `orphan=${sent}`);
    t.equal((await tr.call('GET', 'auth/token/roles/ci')).body.data.orphan, meant, `orphan=${sent} is ${meant}`);
  }
  // Another route's schema (AppRole's role body).
  const w = await tr.call('POST', 'auth/approle/role/web', { body: { bind_secret_id: '0', secret_id_bound_cidrs: '10.0.0.0/8' } });
  t.equal(w.status, 204, JSON.stringify(w.body));
  t.equal((await tr.call('GET', 'auth/approle/role/web')).body.data.bind_secret_id, false, 'bind_secret_id=0 is false');
  const bad = await tr.call('POST', 'auth/token/roles/ci', { body: { orphan: 'yes' } });
  t.equal(bad.status, 400, 'a word ParseBool does not take is still refused');
  t.match(bad.body.errors[0], /orphan must be boolean/);
  t.equal((await tr.call('GET', 'auth/token/roles/ci')).body.data.orphan, false, 'and changed nothing');
  const list = await tr.call('POST', 'auth/token/roles/ci', { body: { allowed_policies: '1' } });
  t.equal(list.status, 204);
  t.same((await tr.call('GET', 'auth/token/roles/ci')).body.data.allowed_policies, ['1'], 'a non-boolean field keeps its "1"');
});
