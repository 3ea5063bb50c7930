import t from 'tap';
import net from 'node:net';
import { testRuntime } from '../helpers/test-runtime.js';

// The router reads a path only up to a "#" (find-my-way), so `GET /v1/sys/key-status#x` runs
// sys/key-status. The ACL was asked about the raw URL, `sys/key-status#x`, which a `*` rule
// matched and the deny on sys/key-status did not. The policy path is now the path the router
// matched, whatever else the URL carries. Sent over a real socket: inject would drop the "#".

function send(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve({ status: Number(out.split(' ')[1]), body: out.split('\r\n\r\n')[1] ?? '' }));
    socket.on('error', reject);
  });
}

t.test('a deny holds for a path with a "#" after it', async (t) => {
  const tr = await testRuntime(t);
  const policy = `
    path "*" { capabilities = ["create", "read", "update", "list"] }
    path "sys/key-status" { capabilities = ["deny"] }
    path "auth/token/create" { capabilities = ["deny"] }
    path "sys/leases/revoke-prefix/database/*" { capabilities = ["deny"] }`;
  t.equal((await tr.call('PUT', 'sys/policies/acl/all-but', { body: { policy } })).status, 204);
  const token = (await tr.call('POST', 'auth/token/create', { body: { policies: ['all-but'] } })).body.auth.client_token as string;
  const port = Number(new URL(await tr.listen()).port);
  const headers = `Host: lessor\r\nX-Vault-Token: ${token}\r\nConnection: close\r\n`;
  const request = (method: string, target: string, body = '') =>
    send(port, `${method} ${target} HTTP/1.1\r\n${headers}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);

  for (const suffix of ['#x', '#', '#/../other', '#?list=true']) {
    t.equal((await request('GET', `/v1/sys/key-status${suffix}`)).status, 403, `GET sys/key-status${suffix} is denied`);
    const created = await request('POST', `/v1/auth/token/create${suffix}`, '{"policies":["all-but"]}');
    t.equal(created.status, 403, `POST auth/token/create${suffix} is denied`);
    t.notMatch(created.body, /client_token/, 'and issues no token');
    t.equal((await request('POST', `/v1/sys/leases/revoke-prefix/database/creds${suffix}`)).status, 403, `revoke-prefix database/creds${suffix} is denied`);
  }
  t.equal((await request('GET', '/v1/auth/token/lookup-self#x')).status, 200, 'an allowed path is served as before');
  t.equal((await request('GET', '/v1/sys/health#x')).status, 200, 'and a public one');
  t.equal((await request('GET', '/v1/sys/key-status;x')).status, 404, 'a ";" is part of the path: nothing is routed');
});
