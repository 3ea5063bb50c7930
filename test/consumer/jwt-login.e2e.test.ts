// JWT auto-auth on the consumer side with the real lessor: the agent (--jwt-file/--jwt-role,
// --once) and the fetch script log in with a JWT file, and the client re-reads the file at
// every login (Kubernetes rotates projected service-account tokens on disk).
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { LessorApiError, LessorClient } from '../../src/client/index.js';
import { e2e } from './e2e-setup.js';
import { fetchScript, lessorCli, parseEnvFile } from './processes.js';

t.test('agent, fetch script and client log in with a JWT file', async (t) => {
  const env = await e2e(t, { defaultTtl: 60, maxTtl: 600 });
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const mustOk = async (path: string, body: unknown) => {
    const r = await env.tr.call('PUT', path, { body });
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  await mustOk('auth/jwt/config', { jwt_validation_pubkeys: [await exportSPKI(publicKey)] });
  await mustOk('auth/jwt/role/app', { role_type: 'jwt', bound_audiences: ['lessor'], user_claim: 'sub', token_policies: [env.policy], token_ttl: '1h' });
  const jwt = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject(sub)
    .setAudience('lessor').setIssuedAt().setExpirationTime('10m').sign(privateKey);

  const dir = await mkdtemp(join(tmpdir(), 'lessor-jwt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const jwtFile = join(dir, 'token');
  await writeFile(jwtFile, await jwt('system:serviceaccount:app:web'));

  const agentFile = join(dir, 'agent.env');
  const once = lessorCli(t, ['agent', '--once', '--address', env.address, '--jwt-file', jwtFile, '--jwt-role', 'app',
    '--secret', `database/creds/${env.role}=${agentFile}`]);
  t.equal((await once.exited).code, 0, once.stderr().trim().split('\n').pop() ?? '');
  const a = parseEnvFile(await readFile(agentFile, 'utf8'));
  t.equal(await env.query(a.USERNAME, a.PASSWORD), 3, 'agent: credentials work');

  const scriptFile = join(dir, 'script.env');
  const script = fetchScript(t, ['--address', env.address, '--jwt-file', jwtFile, '--jwt-role', 'app',
    '--secret', `database/creds/${env.role}=${scriptFile}`]);
  t.equal((await script.exited).code, 0, script.stderr());
  const s = parseEnvFile(await readFile(scriptFile, 'utf8'));
  t.equal(await env.query(s.USERNAME, s.PASSWORD), 3, 'script: credentials work');

  // A token signed by someone else is refused; once the file holds a good one, the next login uses it.
  const other = await generateKeyPair('ES256');
  await writeFile(jwtFile, await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject('x').setAudience('lessor')
    .setExpirationTime('10m').sign(other.privateKey));
  const client = new LessorClient({ address: env.address, jwt: { role: 'app', path: jwtFile } });
  t.teardown(() => client.close());
  const err = await client.read(`database/creds/${env.role}`).catch((e) => e);
  t.type(err, LessorApiError);
  t.equal(err.status, 400, "a refused login is a 400, as on Vault");
  await writeFile(jwtFile, await jwt('system:serviceaccount:app:web'));
  const res = await client.read<{ username: string }>(`database/creds/${env.role}`);
  t.ok(res.data?.username, 'the rewritten file was read at the next login');
});
