// Login limits count an IPv6 caller by the /64 it sends from: a host is given a whole /64, so a
// guesser that moved to a fresh address after every five guesses would otherwise never be cut off.
import t from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';

const login = (tr: TestRuntime, ip: string, password: string) =>
  tr.rt.app
    .inject({ method: 'POST', url: '/v1/auth/userpass/login/u1', payload: { password }, remoteAddress: ip })
    .then((r) => r.statusCode);

for (const devMode of [false, true]) {
  t.test(`userpass guesses from one /64 share one count (${devMode ? 'dev, in memory' : 'Redis'})`, async (t) => {
    const tr = await testRuntime(t, { devMode });
    t.equal((await tr.call('POST', 'auth/userpass/users/u1', { body: { password: 'original-password' } })).status, 204);
    const statuses: number[] = [];
    for (let i = 1; i <= 12; i++) statuses.push(await login(tr, `2001:db8:7:7::${i.toString(16)}`, `guess-${i}`));
    t.same(statuses, [400, 400, 400, 400, 400, 429, 429, 429, 429, 429, 429, 429], 'five guesses are checked, whichever address of the /64 sends them');
    t.equal(await login(tr, '2001:db8:7:7:ffff:ffff:ffff:ffff', 'original-password'), 429, 'the /64 is locked out, even with the right password');
    t.equal(await login(tr, '2001:db8:7:8::1', 'original-password'), 200, 'the user logs in from another /64');
    t.equal(await login(tr, '198.51.100.1', 'original-password'), 200, 'and from IPv4');

    // The same IPv4 address, sent as an IPv4-mapped IPv6 one, is the same source.
    for (let i = 0; i < 5; i++) t.equal(await login(tr, '198.51.100.2', `v4-guess-${i}`), 400);
    t.equal(await login(tr, '::ffff:198.51.100.2', 'original-password'), 429, 'an IPv4-mapped spelling is the same address');
  });
}
