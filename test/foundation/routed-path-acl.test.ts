import t, { type Test } from 'tap';
import net from 'node:net';
import { testRuntime } from '../helpers/test-runtime.js';

// The ACL checks the path the router matched, whatever else the request line carries, so a deny
// holds for every spelling of a path that routes to it. Two spellings route but are not the path:
// a request target in absolute form (`GET http://host/v1/x`, as a client behind a forward proxy
// sends; it is reduced to its path first, as Go's net/http and so Vault does) and a path followed
// by "#…" (the router stops at "#"). Sent over a real socket: inject can send neither.

function send(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve({ status: Number(out.split(' ')[1]), body: out.split('\r\n\r\n')[1] ?? '' }));
    socket.on('error', reject);
  });
}

/** A token allowed everything but a few denied paths, and a way to send it raw request lines. */
async function deniedSetup(t: Test) {
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
  return (method: string, target: string, body = '') =>
    send(port, `${method} ${target} HTTP/1.1\r\n${headers}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

t.test('a deny holds for a request line in absolute form', async (t) => {
  const request = await deniedSetup(t);
  for (const target of ['/v1/sys/key-status', 'http://evil.example/v1/sys/key-status', 'HTTPS://evil.example:8200/v1/sys/key-status?x=1']) {
    t.equal((await request('GET', target)).status, 403, `GET ${target} is denied`);
  }
  for (const target of ['/v1/auth/token/create', 'http://evil.example/v1/auth/token/create']) {
    const res = await request('POST', target, '{"policies":["all-but"]}');
    t.equal(res.status, 403, `POST ${target} is denied`);
    t.notMatch(res.body, /client_token/, 'and issues no token');
  }
  const allowed = await request('GET', 'http://evil.example/v1/auth/token/lookup-self');
  t.equal(allowed.status, 200, 'an allowed path is still served in absolute form, as Vault serves it');
});

t.test('a deny holds for a path with a "#" after it', async (t) => {
  const request = await deniedSetup(t);
  for (const suffix of ['#x', '#', '#/../other', '#?list=true']) {
    t.equal((await request('GET', `/v1/sys/key-status${suffix}`)).status, 403, `GET sys/key-status${suffix} is denied`);
    const created = await request('POST', `/v1/auth/token/create${suffix}`, '{"policies":["all-but"]}');
    t.equal(created.status, 403, `POST auth/token/create${suffix} is denied`);
    t.notMatch(created.body, /client_token/, 'and issues no token');
    t.equal((await request('POST', `/v1/sys/leases/revoke-prefix/database/creds${suffix}`)).status, 403, `revoke-prefix database/creds${suffix} is denied`);
  }
  t.equal((await request('GET', '/v1/auth/token/lookup-self#x')).status, 200, 'an allowed path is served');
  t.equal((await request('GET', '/v1/sys/health#x')).status, 200, 'and a public one');
  t.equal((await request('GET', '/v1/sys/key-status;x')).status, 404, 'a ";" is part of the path: nothing is routed');
});
