// HEAD never runs a handler that acts: HEAD on database/creds/<role> (or jwt/token/<role>) is a
// 405 that issues nothing, as Vault's logical paths answer HEAD. sys/health keeps HEAD, which
// hvac's health check sends by default.
import t from 'tap';
import { pgHttp } from '../database/http-setup.js';

t.test('HEAD issues no credential; sys/health still answers HEAD', async (t) => {
  const h = await pgHttp(t);
  const leases = async () => (await h.tr.call('LIST', 'sys/leases/lookup/database/creds/reader')).body?.data?.keys ?? [];
  const users = async () => (await h.fx.su<{ n: number }>("SELECT count(*)::int AS n FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%'")).rows[0].n;
  const before = await users();

  for (const path of ['database/creds/reader', 'database/creds/reader?list=true', 'auth/token/lookup-self']) {
    const r = await h.tr.call('HEAD', path);
    t.equal(r.status, 405, `HEAD ${path}`);
  }
  t.same(await leases(), [], 'no lease was issued');
  t.equal(await users(), before, 'no database user was created');

  t.equal((await h.tr.call('HEAD', 'sys/health', { token: null })).status, 200, 'HEAD sys/health');
  const creds = await h.creds('reader');
  t.ok(creds.data.username, 'GET still issues');
  t.equal((await leases()).length, 1);
});
