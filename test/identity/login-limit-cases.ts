// The cases of login-limits.test.ts (Redis) and login-limits-dev.test.ts (`lessor dev`'s memory
// store), one file each so that each gets its own time budget: a dev runtime is slow to start.
import type { Test } from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

const PASSWORD = 'correct horse battery staple';

const approleLogin = (tr: TestRuntime, ip: string, body: Record<string, unknown>) =>
  tr.rt.app.inject({ method: 'POST', url: '/v1/auth/approle/login', payload: body, remoteAddress: ip }).then((r) => ({ status: r.statusCode, body: JSON.parse(r.body) }));
const userpassLogin = (tr: TestRuntime, ip: string, user: string, password: string) =>
  tr.rt.app.inject({ method: 'POST', url: `/v1/auth/userpass/login/${user}`, payload: { password }, remoteAddress: ip }).then((r) => ({ status: r.statusCode, body: JSON.parse(r.body) }));

async function approleFor(t: Test, tr: TestRuntime, name: string, body: Record<string, unknown> = {}) {
  t.equal((await tr.call('POST', `auth/approle/role/${name}`, { body })).status, 204);
  const roleId: string = (await tr.call('GET', `auth/approle/role/${name}/role-id`)).body.data.role_id;
  const secretId: string = (await tr.call('POST', `auth/approle/role/${name}/secret-id`, { body: {} })).body.data.secret_id;
  return { roleId, secretId };
}

export async function loginLimitCases(t: Test, devMode: boolean) {
  const tr = await testRuntime(t, { devMode });

  t.test('AppRole: wrong secret IDs from one address are cut off; the role still logs in from another', async (t) => {
    const { roleId, secretId } = await approleFor(t, tr, 'orders');
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) statuses.push((await approleLogin(tr, '198.51.100.7', { role_id: roleId, secret_id: `guess-${i}` })).status);
    t.equal(statuses.filter((s) => s === 400).length, 5, 'five guesses are checked');
    t.equal(statuses.filter((s) => s === 429).length, 145, 'the other 145 are refused unchecked');
    const limited = await approleLogin(tr, '198.51.100.7', { role_id: roleId, secret_id: secretId });
    t.equal(limited.status, 429, 'the guessing address is locked out, even with the right secret ID');
    t.match(limited.body.errors[0], /too many login attempts/);
    t.equal((await approleLogin(tr, '198.51.100.8', { role_id: roleId, secret_id: secretId })).status, 200, 'the role logs in from its own address');

    // Burst: guesses sent at once all see no failures yet; only the in-flight cap of them is checked.
    const { roleId: burstRole } = await approleFor(t, tr, 'burst');
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => approleLogin(tr, '198.51.100.9', { role_id: burstRole, secret_id: `b-${i}` })));
    // Sixty-four at once (the in-flight cap), and more only while fewer than five have failed.
    const checked = burst.filter((r) => r.status === 400).length;
    t.ok(checked >= 5 && checked <= 64 + 4, `${checked} of a burst of a hundred were checked`);
    t.equal(burst.filter((r) => r.status === 429).length, 100 - checked, 'the rest refused unchecked');

    // One address trying many role IDs: the looser per-address bound (twenty failures).
    const spread: number[] = [];
    for (let i = 0; i < 30; i++) spread.push((await approleLogin(tr, '203.0.113.5', { role_id: `made-up-${i}`, secret_id: 'x' })).status);
    t.equal(spread.indexOf(429), 20, 'twenty failures over any role IDs, then 429');
    t.equal((await approleLogin(tr, '203.0.113.6', { role_id: 'made-up-0', secret_id: 'x' })).status, 400, 'another address is not affected');
    // Machines behind one address that log in correctly are never limited.
    const { roleId: fleet } = await approleFor(t, tr, 'fleet', { secret_id_num_uses: 0 });
    const secrets = await Promise.all(Array.from({ length: 25 }, async () => (await tr.call('POST', 'auth/approle/role/fleet/secret-id', { body: {} })).body.data.secret_id as string));
    const good: number[] = [];
    for (const s of secrets) good.push((await approleLogin(tr, '192.0.2.50', { role_id: fleet, secret_id: s })).status);
    t.same(good, Array(25).fill(200), 'twenty-five good logins from one address in a row all succeed');
  });

  t.test('AppRole: a real and a made-up role ID get the same answer', async (t) => {
    const { roleId } = await approleFor(t, tr, 'real');
    const { roleId: fenced } = await approleFor(t, tr, 'fenced', { secret_id_bound_cidrs: ['10.99.0.0/16'] });
    const cases: Array<[string, Record<string, unknown>]> = [
      ['real, no secret_id', { role_id: roleId }],
      ['made up, no secret_id', { role_id: 'c0ffee00-0000-4000-8000-000000000000' }],
      ['real, wrong secret_id', { role_id: roleId, secret_id: 'wrong' }],
      ['made up, some secret_id', { role_id: 'c0ffee00-0000-4000-8000-000000000001', secret_id: 'wrong' }],
      ['real, bound to other addresses', { role_id: fenced, secret_id: 'wrong' }],
    ];
    for (const [name, body] of cases) {
      const res = await approleLogin(tr, `192.0.2.${cases.findIndex((c) => c[0] === name) + 1}`, body);
      t.same([res.status, res.body], [400, { errors: ['invalid role ID or secret ID'] }], name);
    }
  });

  t.test('userpass: a guesser at one address does not lock the user out elsewhere', async (t) => {
    await tr.call('POST', 'auth/userpass/users/erin', { body: { password: PASSWORD } });
    for (let i = 0; i < 5; i++) t.equal((await userpassLogin(tr, '10.0.0.1', 'erin', `guess number ${i}`)).status, 400);
    const locked = await userpassLogin(tr, '10.0.0.1', 'erin', PASSWORD);
    t.equal(locked.status, 429, 'the guessing address is locked out after five failures');
    t.match(locked.body.errors[0], /too many login attempts/);
    t.equal((await userpassLogin(tr, '10.0.0.2', 'erin', PASSWORD)).status, 200, 'erin logs in from her own address');
    // A good login clears that address's failures, as Vault's lockout counter resets.
    for (let i = 0; i < 4; i++) await userpassLogin(tr, '10.0.0.3', 'erin', `typo ${i}`);
    t.equal((await userpassLogin(tr, '10.0.0.3', 'erin', PASSWORD)).status, 200);
    for (let i = 0; i < 4; i++) t.equal((await userpassLogin(tr, '10.0.0.3', 'erin', `typo again ${i}`)).status, 400, `typo ${i} after the reset`);
  });
}
