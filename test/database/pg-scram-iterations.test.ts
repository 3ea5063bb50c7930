// scram_iterations: lessor's verifiers with fewer PBKDF2 rounds still log in over scram (the
// harness server enforces it), the server stores the count asked for, and a weak password policy
// or a config that does not send verifiers is refused with a 400 that changes nothing.
import t from 'tap';
import { pgHttp } from './http-setup.js';

const storedVerifier = async (su: (sql: string, params?: unknown[]) => Promise<{ rows: { rolpassword: string }[] }>, user: string) =>
  (await su('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [user])).rows[0].rolpassword;

t.test('scram_iterations=16: creds log in and the server keeps 16 rounds', async (t) => {
  const { tr, fx } = await pgHttp(t);
  const cfg = await tr.call('POST', 'database/config/fast', {
    body: { ...fx.config, allowed_roles: ['*'], password_authentication: 'scram-sha-256', scram_iterations: 16 },
  });
  t.equal(cfg.status, 204, JSON.stringify(cfg.body));
  t.equal((await tr.call('POST', 'database/roles/fast-reader', { body: { ...fx.groupRole, db_name: 'fast' } })).status, 204);
  const c = await tr.call('GET', 'database/creds/fast-reader');
  t.equal(c.status, 200);
  t.match(await storedVerifier(fx.su, c.body.data.username), /^SCRAM-SHA-256\$16:/, 'verifier with 16 rounds');
  t.ok(await fx.canSelect(c.body.data.username, c.body.data.password), 'password logs in over scram');
  t.notOk(await fx.canSelect(c.body.data.username, `${c.body.data.password}x`), 'a wrong password still refused');
  const read = await tr.call('GET', 'database/config/fast');
  t.equal(read.body.data.scram_iterations, 16, 'config read shows it');
  // The reaper's default revocation is unaffected.
  t.equal((await tr.call('PUT', 'sys/leases/revoke', { body: { lease_id: c.body.lease_id } })).status, 204);
  t.notOk(await fx.roleExists(c.body.data.username), 'user dropped');
});

t.test('scram_iterations is refused where it would weaken or do nothing', async (t) => {
  const { tr, fx } = await pgHttp(t);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['without verifiers', { scram_iterations: 16 }, /needs password_authentication=scram-sha-256/],
    ['with a weak policy', { password_authentication: 'scram-sha-256', scram_iterations: 16, password_policy: { length: 12 } }, /at least 128 bits.*has \d+/],
    ['zero', { password_authentication: 'scram-sha-256', scram_iterations: 0 }, /scram_iterations/],
    ['past what clients accept', { password_authentication: 'scram-sha-256', scram_iterations: 100_001 }, /scram_iterations/],
  ];
  for (const [what, extra, message] of cases) {
    const res = await tr.call('POST', 'database/config/weak', { body: { ...fx.config, ...extra } });
    t.equal(res.status, 400, what);
    t.match(res.body.errors.join(' '), message, `${what}: says why`);
  }
  t.equal((await tr.call('GET', 'database/config/weak')).status, 404, 'nothing stored');
  // A weak policy keeps the default rounds, and more than the default is always allowed.
  const strong = await tr.call('POST', 'database/config/weak', {
    body: { ...fx.config, password_authentication: 'scram-sha-256', scram_iterations: 8192, password_policy: { length: 12 } },
  });
  t.equal(strong.status, 204, JSON.stringify(strong.body));
});
