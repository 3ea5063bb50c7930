import t from 'tap';
import vault from 'node-vault';
import { hashPassword, ARGON2_PARAMS } from '../../src/auth/userpass/passwords.js';
import { whileHolding } from '../helpers/lock-holder.js';
import { testRuntime } from '../helpers/test-runtime.js';

const PASSWORD = 'correct horse battery staple';

t.test('userpass end to end with node-vault; argon2id PHC hashes at the documented parameters', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('PUT', 'sys/policies/acl/admins', { body: { policy: 'path "sys/*" { capabilities = ["read", "update", "sudo"] }' } });
  const made = await tr.call('POST', 'auth/userpass/users/Alice', { body: { password: PASSWORD, token_policies: 'admins', token_ttl: '8h' } });
  t.equal(made.status, 204);

  const { rows } = await tr.rt.sql.query<{ password_hash: string }>('SELECT password_hash FROM userpass_users WHERE name = $1', ['alice']);
  t.match(rows[0].password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);

  const endpoint = await tr.listen();
  const client = vault({ endpoint });
  const login = await client.userpassLogin({ username: 'alice', password: PASSWORD });
  t.same(login.auth.policies, ['admins', 'default']);
  t.equal(login.auth.lease_duration, 8 * 3600);
  t.same(login.auth.metadata, { username: 'alice' });
  t.equal((await client.read('sys/key-status')).data.term, 1, 'logged-in admin can use its policy');

  t.same((await tr.call('GET', 'auth/userpass/users/alice')).body.data.token_policies, ['admins']);
  t.notOk(JSON.stringify((await tr.call('GET', 'auth/userpass/users/alice')).body).includes('argon2'), 'the hash is never returned');
  t.same((await tr.call('LIST', 'auth/userpass/users')).body.data.keys, ['alice']);
  t.equal((await tr.call('POST', 'auth/userpass/users/bob', { body: { password: 'short' } })).status, 400, 'too-short password');

  await tr.call('POST', 'auth/userpass/users/alice/password', { body: { password: 'a whole new password' } });
  t.equal((await tr.call('POST', 'auth/userpass/login/alice', { token: null, body: { password: PASSWORD } })).status, 400, 'old password gone');
  t.equal((await tr.call('POST', 'auth/userpass/login/alice', { token: null, body: { password: 'a whole new password' } })).status, 200);
  await tr.call('DELETE', 'auth/userpass/users/alice');
  t.equal((await tr.call('POST', 'auth/userpass/login/alice', { token: null, body: { password: 'a whole new password' } })).status, 400);
});

t.test('unknown users and wrong passwords look the same, and both pay for a hash', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/userpass/users/carol', { body: { password: PASSWORD } });
  const timed = async (user: string) => {
    const start = process.hrtime.bigint();
    const res = await tr.call('POST', `auth/userpass/login/${user}`, { token: null, body: { password: 'wrong password!' } });
    return { res, ms: Number(process.hrtime.bigint() - start) / 1e6 };
  };
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const wrong: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 3; i++) {
    const a = await timed('carol');
    const b = await timed(`nobody-${i}`);
    t.equal(a.res.status, 400);
    t.equal(b.res.status, 400);
    t.same(a.res.body, b.res.body, 'same answer');
    wrong.push(a.ms);
    unknown.push(b.ms);
  }
  t.ok(median(unknown) >= median(wrong) * 0.3, `unknown user runs a hash too (${median(unknown).toFixed(1)}ms vs ${median(wrong).toFixed(1)}ms)`);
});

t.test('a hash made with older, weaker parameters is upgraded at the next login', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/userpass/users/dave', { body: { password: PASSWORD } });
  const weak = await hashPassword(PASSWORD, { ...ARGON2_PARAMS, memoryCost: 8192, timeCost: 1 });
  await tr.rt.sql.query('UPDATE userpass_users SET password_hash = $1 WHERE name = $2', [weak, 'dave']);
  t.equal((await tr.call('POST', 'auth/userpass/login/dave', { token: null, body: { password: PASSWORD } })).status, 200);
  const { rows } = await tr.rt.sql.query<{ password_hash: string }>('SELECT password_hash FROM userpass_users WHERE name = $1', ['dave']);
  t.match(rows[0].password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/, 'rehashed');
  t.equal((await tr.call('POST', 'auth/userpass/login/dave', { token: null, body: { password: PASSWORD } })).status, 200, 'still logs in');
});

t.test('per-(user, address) and per-address login rate limits answer 429', async (t) => {
  for (const devMode of [false, true]) {
    const tr = await testRuntime(t, { devMode });
    await tr.call('POST', 'auth/userpass/users/erin', { body: { password: PASSWORD } });
    const login = (user: string, password: string, ip = '127.0.0.1') =>
      tr.rt.app.inject({ method: 'POST', url: `/v1/auth/userpass/login/${user}`, payload: { password }, remoteAddress: ip });
    for (let i = 0; i < 5; i++) t.equal((await login('erin', 'guess number ' + i, '10.0.0.1')).statusCode, 400);
    const limited = await login('erin', PASSWORD, '10.0.0.1');
    t.equal(limited.statusCode, 429, `user locked after 5 failures at that address (dev=${devMode})`);
    t.match(JSON.parse(limited.body).errors[0], /too many/);
    t.equal((await login('erin', PASSWORD, '10.0.1.1')).statusCode, 200, 'and not at another');

    let status = 0;
    let n = 0;
    while (n < 40 && status !== 429) {
      status = (await login(`someone-${n}`, 'x', '192.0.2.7')).statusCode;
      n++;
    }
    t.equal(status, 429, 'one address is throttled');
    t.equal(n, 31, 'after 30 attempts a minute');
    t.equal((await login('someone-new', 'x', '192.0.2.8')).statusCode, 400, 'other addresses are not');

    // Twenty guesses at once from one address all see no failures yet; only sixteen (the
    // in-flight cap) are checked, and then the user is locked at that address.
    await tr.call('POST', 'auth/userpass/users/frank', { body: { password: PASSWORD } });
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => login('frank', 'burst guess ' + i, '10.1.0.1')));
    const statuses = burst.map((r) => r.statusCode);
    t.equal(statuses.filter((c) => c === 400).length, 16, `a burst gets sixteen guesses checked, not twenty (dev=${devMode})`);
    t.equal(statuses.filter((c) => c === 429).length, 4);
    t.equal((await login('frank', PASSWORD, '10.1.0.1')).statusCode, 429, 'then the user is locked there for the lockout');
    t.equal((await login('frank', PASSWORD, '10.1.1.1')).statusCode, 200, 'but logs in from elsewhere');
    // Correct logins of one user at once (pods starting together) are not failures.
    await tr.call('POST', 'auth/userpass/users/gina', { body: { password: PASSWORD } });
    const together = await Promise.all(Array.from({ length: 8 }, (_, i) => login('gina', PASSWORD, `10.2.0.${i}`)));
    t.same(together.map((r) => r.statusCode), Array(8).fill(200), 'eight at once all log in');
    for (let i = 0; i < 6; i++) t.equal((await login('gina', PASSWORD, `10.2.1.${i}`)).statusCode, 200, `and again, login ${i + 1}`);
  }
});

t.test('a settings write and a password change at once: both land, the old password is not back', async (t) => {
  const tr = await testRuntime(t);
  await tr.call('POST', 'auth/userpass/users/hana', { body: { password: PASSWORD } });
  let writes!: Promise<{ status: number }>[];
  const bothWaiting = await whileHolding(tr, 'SELECT 1 FROM userpass_users WHERE name = $1 FOR UPDATE', ['hana'], () => (writes = [
    tr.call('POST', 'auth/userpass/users/hana', { body: { token_policies: ['default', 'ops'] } }),
    tr.call('POST', 'auth/userpass/users/hana/password', { body: { password: 'a brand new long password' } }),
  ]));
  t.ok(bothWaiting, 'both writes were under way at once');
  t.same((await Promise.all(writes)).map((w) => w.status), [204, 204]);
  const login = (password: string) => tr.call('POST', 'auth/userpass/login/hana', { token: null, body: { password } });
  t.equal((await login('a brand new long password')).status, 200, 'the new password stands');
  t.equal((await login(PASSWORD)).status, 400, 'the old one is not back');
  t.same((await tr.call('GET', 'auth/userpass/users/hana')).body.data.token_policies, ['default', 'ops'], "and the settings write's own fields are applied");
  t.equal((await tr.call('POST', 'auth/userpass/users/nobody', { body: { token_policies: ['x'] } })).status, 400, 'a new user still needs a password');
});
