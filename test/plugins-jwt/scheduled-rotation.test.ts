// Scheduled rotation goes through the reaper's job machinery: two replicas sharing one config
// database and one Redis rotate a key set exactly once per period, and a token issued on the
// other replica right after a rotation is signed with the new key.
import t from 'tap';
import { decodeProtectedHeader } from 'jose';
import { testRuntime } from '../helpers/test-runtime.js';
import { manualClock, tokenWithPolicy } from '../plugins-apikey/tokens.js';

t.test('two replicas rotate once per period', async (t) => {
  const clock = manualClock();
  const one = await testRuntime(t, { runtime: { clock: clock.now } });
  const two = await testRuntime(t, { shareWith: one, runtime: { clock: clock.now } });
  const ok = async (tr: typeof one, method: string, path: string, body?: unknown) => {
    const res = await tr.call(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  await ok(one, 'POST', 'jwt/keys/main', { algorithm: 'EdDSA', rotation_period: '1h', verification_ttl: '3h' });
  await ok(one, 'POST', 'jwt/roles/svc', { key: 'main', ttl: '5m' });
  const caller = await tokenWithPolicy(one, 'caller', { 'jwt/token/*': ['read'] });
  const kids: string[] = [(await ok(two, 'GET', 'jwt/keys/main')).data.current_kid];
  const sweepBoth = async () => {
    const runs = await Promise.all([one.rt.reaper.runOnce(), two.rt.reaper.runOnce()]);
    return runs.reduce((n, r) => n + r.jobs, 0);
  };

  clock.advance(59 * 60_000);
  t.equal(await sweepBoth(), 0, 'nothing due before the rotation period');
  t.equal((await ok(one, 'GET', 'jwt/keys/main')).data.current_kid, kids[0]);

  for (let period = 1; period <= 3; period++) {
    clock.advance(60_000 + 1000 + (period > 1 ? 59 * 60_000 : 0));
    t.equal(await sweepBoth(), 1, `period ${period}: one job run across both replicas`);
    t.equal(await sweepBoth(), 0, 'and nothing left to run');
    const kid = (await ok(one, 'GET', 'jwt/keys/main')).data.current_kid;
    t.notOk(kids.includes(kid), 'a new key');
    kids.push(kid);
    const listed = ((await two.call('GET', 'jwt/.well-known/jwks.json', { token: null })).body.keys as Array<{ kid: string }>).map((k) => k.kid);
    t.same(listed.sort(), [...kids].sort(), 'exactly one key per rotation, none lost, none doubled');
    const token = (await two.call('GET', 'jwt/token/svc', { token: caller })).body.data.token;
    t.equal(decodeProtectedHeader(token).kid, kid, 'the other replica signs with the new key');
  }
});
