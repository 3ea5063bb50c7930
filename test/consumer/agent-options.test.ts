// `lessor agent` flag parsing: address and token from the environment, AppRole/JWT pairs,
// durations, formats, and a one-line reason for every mistake.
import t from 'tap';
import { agentOptions } from '../../src/cli/agent.js';
import { UsageError } from '../../src/agent/options.js';

const base = { secret: ['database/creds/app=/tmp/db.env'], format: 'env', timeout: '5s', grace: '5s', logLevel: 'info' };
const approle = { roleIdFile: '/r', secretIdFile: '/s' };

t.test('defaults and environment', async (t) => {
  const o = agentOptions({ ...base, ...approle }, { LESSOR_ADDR: 'http://lessor:8200', VAULT_ADDR: 'http://vault:8200' });
  t.equal(o.address, 'http://lessor:8200', 'LESSOR_ADDR before VAULT_ADDR');
  t.same(o.secrets, [{ path: 'database/creds/app', file: '/tmp/db.env' }]);
  t.equal(o.timeoutMs, 5000);
  t.same(o.format, { kind: 'env' });
  t.equal(o.signal, undefined);
  t.equal(agentOptions({ ...base, ...approle }, { VAULT_ADDR: 'http://vault:8200' }).address, 'http://vault:8200');
  t.equal(agentOptions({ ...base, ...approle, address: 'http://flag:1' }, { LESSOR_ADDR: 'http://env:1' }).address, 'http://flag:1');
  const tok = agentOptions(base, { LESSOR_ADDR: 'http://l:1', VAULT_TOKEN: 'hvs.x' });
  t.same(tok.auth, { kind: 'token', token: 'hvs.x' });
  const jwt = agentOptions({ ...base, jwtFile: '/var/run/token', jwtRole: 'web', format: 'template:/etc/t.tpl', timeout: '1m30s', pidFile: '/run/app.pid' }, { LESSOR_ADDR: 'http://l:1' });
  t.same(jwt.auth, { kind: 'jwt', jwtFile: '/var/run/token', role: 'web' });
  t.same(jwt.format, { kind: 'template', file: '/etc/t.tpl' });
  t.equal(jwt.timeoutMs, 90_000);
  t.equal(jwt.signal, 'SIGHUP', '--pid-file alone means HUP');
});

t.test('mistakes are one-line usage errors', async (t) => {
  const env = { LESSOR_ADDR: 'http://l:1' };
  const cases: Array<[Record<string, unknown>, Record<string, string>, RegExp]> = [
    [{ ...base, ...approle }, {}, /no address/],
    [{ ...base, ...approle, address: 'not a url' }, {}, /not a URL/],
    [{ ...base, roleIdFile: '/r' }, env, /both --role-id-file and --secret-id-file/],
    [{ ...base, jwtFile: '/j' }, env, /both --jwt-file and --jwt-role/],
    [base, env, /no credentials/],
    [{ ...base, ...approle, secret: [] }, env, /at least one --secret/],
    [{ ...base, ...approle, secret: ['database/creds/app'] }, env, /expected <path>=<file>/],
    [{ ...base, ...approle, secret: ['a=/f', 'b=/f'] }, env, /same file/],
    [{ ...base, ...approle, format: 'yaml' }, env, /--format/],
    [{ ...base, ...approle, timeout: 'soon' }, env, /--timeout/],
    [{ ...base, ...approle, signal: 'HUP' }, env, /--signal needs --pid or --pid-file/],
    [{ ...base, ...approle, pid: '-3' }, env, /--pid/],
  ];
  for (const [flags, e, re] of cases) {
    const err = (() => { try { agentOptions(flags as never, e); } catch (x) { return x; } })();
    t.type(err, UsageError);
    t.match((err as Error).message, re);
    t.notMatch((err as Error).message, /\n/);
  }
});
