import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vault from 'node-vault';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testRuntime } from '../helpers/test-runtime.js';

// A full run of every identity flow with the audit log on and the service log at debug level;
// then every secret the run handed out or took in is searched for in both. None may appear.
t.test('no secret of a full run appears in clear in the service log or the audit log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lessor-scan-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const auditFile = join(dir, 'audit.log');
  const tr = await testRuntime(t, { env: { LESSOR_AUDIT_FILE: auditFile, LESSOR_LOG_LEVEL: 'debug' } });
  const endpoint = await tr.listen();
  const secrets: Record<string, string> = { root: tr.rootToken };
  const root = () => vault({ endpoint, token: tr.rootToken });

  // tokens
  await root().addPolicy({ name: 'app', rules: 'path "sys/key-status" { capabilities = ["read"] }' });
  const child = await root().tokenCreate({ policies: ['app'], num_uses: 5 });
  secrets.child = child.auth.client_token;
  const me = vault({ endpoint, token: secrets.child });
  await me.tokenLookupSelf();
  await me.tokenRenewSelf();
  await root().tokenLookup({ token: secrets.child });
  await root().tokenRevoke({ token: secrets.child });
  await t.rejects(me.tokenLookupSelf());

  // approle
  await root().addApproleRole({ role_name: 'svc', policies: 'app' });
  secrets.roleId = (await root().getApproleRoleId({ role_name: 'svc' })).data.role_id;
  secrets.secretId = (await root().getApproleRoleSecret({ role_name: 'svc' })).data.secret_id;
  secrets.approleToken = (await vault({ endpoint }).approleLogin({ role_id: secrets.roleId, secret_id: secrets.secretId })).auth.client_token;
  await root().approleSecretLookup({ role_name: 'svc', secret_id: secrets.secretId });
  await t.rejects(vault({ endpoint }).approleLogin({ role_id: secrets.roleId, secret_id: 'wrong-' + secrets.secretId }));

  // userpass
  secrets.password = 'hunter2-but-longer-' + Math.random().toString(36).slice(2);
  await tr.call('POST', 'auth/userpass/users/admin', { body: { password: secrets.password, token_policies: ['app'] } });
  secrets.userToken = (await vault({ endpoint }).userpassLogin({ username: 'admin', password: secrets.password })).auth.client_token;
  secrets.wrongPassword = secrets.password + '-typo';
  await t.rejects(vault({ endpoint }).userpassLogin({ username: 'admin', password: secrets.wrongPassword }));
  await tr.call('POST', 'auth/userpass/users/admin/password', { body: { password: secrets.password + '-new' } });
  secrets.newPassword = secrets.password + '-new';

  // jwt
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] };
  const server = createServer((_req, res) => res.end(JSON.stringify(jwks)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  await tr.call('POST', 'auth/jwt/config', { body: { jwks_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` } });
  await tr.call('POST', 'auth/jwt/role/ci', { body: { bound_audiences: ['lessor'], token_policies: ['app'] } });
  secrets.jwt = await new SignJWT({ sub: 'ci-job-7', aud: 'lessor' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setExpirationTime('5m').sign(privateKey);
  const jwtLogin = await tr.call('POST', 'auth/jwt/login', { token: null, body: { role: 'ci', jwt: secrets.jwt } });
  t.equal(jwtLogin.status, 200);
  secrets.jwtToken = jwtLogin.body.auth.client_token;
  await tr.call('POST', 'auth/jwt/login', { token: null, body: { role: 'ci', jwt: secrets.jwt + 'x' } });

  // requests that fail with a token in hand
  await tr.call('GET', 'sys/rotate', { token: secrets.userToken });
  await tr.call('POST', 'sys/rotate', { token: secrets.jwtToken });
  await tr.call('POST', 'sys/audit-hash', { body: { input: secrets.password } });

  const audit = readFileSync(auditFile, 'utf8');
  const service = tr.logLines.join('\n');
  t.ok(audit.split('\n').length > 40, 'the audit log recorded the run');
  t.ok(tr.logLines.length > 10, 'the service log recorded the run');
  for (const [name, value] of Object.entries(secrets)) {
    // The random part alone too: a prefix-stripped token is still a token.
    const needles = [value, value.replace(/^lsr\./, '')];
    for (const needle of needles) {
      t.notOk(audit.includes(needle), `${name} not in the audit log`);
      t.notOk(service.includes(needle), `${name} not in the service log`);
    }
  }
  const hash = (await tr.call('POST', 'sys/audit-hash', { body: { input: secrets.secretId } })).body.data.hash;
  t.ok(audit.includes(hash), 'the secret id is in the audit log, as its HMAC');
});
