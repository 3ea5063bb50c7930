// A mount without a configPath (api-key) has one implicit config: roles need no config field,
// creds come with a lease, the plugin's own route works, and the lease's life is the key's life.
import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('api-key mount: implicit config, lease-backed keys, plugin route', async (t) => {
  const tr = await testRuntime(t);
  t.equal((await tr.call('POST', 'apikey/roles/svc', { body: { scopes: ['read'], default_ttl: '5m', max_ttl: '1h' } })).status, 204);
  t.equal((await tr.call('POST', 'apikey/roles/bad', { body: { colour: 'red' } })).status, 400, "validated by the plugin's role schema");
  const issued = await tr.call('GET', 'apikey/creds/svc');
  t.equal(issued.status, 200);
  t.match(issued.body.lease_id, /^apikey\/creds\/svc\//);
  t.equal(issued.body.lease_duration, 300);
  const key = issued.body.data.api_key;
  let v = await tr.call('POST', 'apikey/verify', { body: { api_key: key } });
  t.equal(v.body.data.valid, true);
  const renewed = await tr.call('PUT', 'sys/leases/renew', { body: { lease_id: issued.body.lease_id, increment: 600 } });
  t.equal(renewed.body.lease_duration, 600, 'renew reaches the engine (updateCredential)');
  t.equal((await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: issued.body.lease_id } })).status, 204);
  v = await tr.call('POST', 'apikey/verify', { body: { api_key: key } });
  t.equal(v.body.data.valid, false, 'revoking the lease kills the key');
  t.equal((await tr.call('GET', 'apikey/config/default')).status, 404, 'no config paths on such a mount');
});
