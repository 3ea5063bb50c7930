// Reads answer in Vault's wire format whatever was written: durations in whole seconds,
// statement fields as lists (hvac and node-vault users compare these values).
import t from 'tap';
import postgres from '../../plugins/postgres/index.js';
import { wireView } from '../../src/engines/wire-view.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('a database role written with "1h" and one statement reads back as seconds and a list', async (t) => {
  const view = wireView(postgres.roleSchema, {
    db_name: 'app',
    creation_statements: 'CREATE ROLE "{{name}}"',
    revocation_statements: ['DROP ROLE "{{name}}"'],
    default_ttl: '1h',
    max_ttl: '1h30m',
  });
  t.same(view, {
    db_name: 'app',
    creation_statements: ['CREATE ROLE "{{name}}"'],
    revocation_statements: ['DROP ROLE "{{name}}"'],
    default_ttl: 3600,
    max_ttl: 5400,
  });
});

t.test('over HTTP: an api-key role read shows its TTLs in seconds', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'apikey/roles/svc', { body: { scopes: ['read'], default_ttl: '5m', max_ttl: '2h' } })).status, 204);
  const read = await tr.call('GET', 'apikey/roles/svc');
  t.equal(read.status, 200);
  t.match(read.body.data, { scopes: ['read'], default_ttl: 300, max_ttl: 7200 });
});
