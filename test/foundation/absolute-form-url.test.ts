import t from 'tap';
import net from 'node:net';
import { testRuntime } from '../helpers/test-runtime.js';

// HTTP lets a request name its target in absolute form (`GET http://host/v1/x HTTP/1.1`, as a
// client behind a forward proxy does). Node passes it on verbatim and the router matches it, so
// the ACL was asked about `http://host/v1/x`: a policy's `*` rule matched it and none of its
// denies did. The target is reduced to its path first, as Go's net/http (Vault) does, so a deny
// holds whichever form the request line takes. Sent over a real socket: inject cannot send it.

function send(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve({ status: Number(out.split(' ')[1]), body: out.split('\r\n\r\n')[1] ?? '' }));
    socket.on('error', reject);
  });
}

t.test('a deny holds for a request line in absolute form', async (t) => {
  const tr = await testRuntime(t);
  const policy = `
    path "*" { capabilities = ["create", "read", "update", "list"] }
    path "sys/key-status" { capabilities = ["deny"] }
    path "auth/token/create" { capabilities = ["deny"] }`;
  t.equal((await tr.call('PUT', 'sys/policies/acl/all-but', { body: { policy } })).status, 204);
  const token = (await tr.call('POST', 'auth/token/create', { body: { policies: ['all-but'] } })).body.auth.client_token as string;
  const port = Number(new URL(await tr.listen()).port);
  const headers = `Host: lessor\r\nX-Vault-Token: ${token}\r\nConnection: close\r\n`;
  const get = (target: string) => send(port, `GET ${target} HTTP/1.1\r\n${headers}\r\n`);
  const post = (target: string, body: string) => send(port, `POST ${target} HTTP/1.1\r\n${headers}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);

  for (const target of ['/v1/sys/key-status', 'http://evil.example/v1/sys/key-status', 'HTTPS://evil.example:8200/v1/sys/key-status?x=1']) {
    t.equal((await get(target)).status, 403, `GET ${target} is denied`);
  }
  for (const target of ['/v1/auth/token/create', 'http://evil.example/v1/auth/token/create']) {
    const res = await post(target, '{"policies":["all-but"]}');
    t.equal(res.status, 403, `POST ${target} is denied`);
    t.notMatch(res.body, /client_token/, 'and issues no token');
  }
  const allowed = await get('http://evil.example/v1/auth/token/lookup-self');
  t.equal(allowed.status, 200, 'an allowed path is still served in absolute form, as Vault serves it');
});
