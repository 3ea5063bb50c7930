// The Vault-shaped HTTP skeleton: envelope, error bodies, validation messages, LIST handling.
import t from 'tap';
import vault from 'node-vault';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { AccessControl } from '../../src/auth/access.js';
import { permissionDenied } from '../../src/errors.js';
import { LIST_METHOD } from '../../src/http/request-shape.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';

// A one-token access control so the skeleton can be tested before any identity backend.
const TOKEN = 'lsr.test-token';
const access: AccessControl = {
  async authenticate(token) {
    if (token !== TOKEN) throw permissionDenied();
    return { tokenId: 'x', accessor: 'a', ancestors: [], policies: ['root'], displayName: 't', entityName: 't', metadata: {}, isRoot: true };
  },
  authorize: (_id, path) => !path.startsWith('forbidden'),
};

async function app(): Promise<FastifyInstance> {
  return buildApp({
    log: createLogger('silent'),
    metrics: createMetrics(),
    health: [],
    access,
    modules: [
      async (a) => {
        a.route({
          method: ['POST', 'PUT'],
          url: '/v1/things/:name',
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              properties: { colour: { type: 'string' }, size: { type: 'integer' } },
            },
          },
          handler: async (req, reply) => reply.answer({ data: { name: (req.params as { name: string }).name, ...(req.body as object) } }),
        });
        a.route({
          method: LIST_METHOD,
          url: '/v1/things',
          handler: async (_req, reply) => reply.answer({ data: { keys: ['a', 'b'] } }),
        });
        a.get('/v1/forbidden/x', async (_req, reply) => reply.answer({ data: {} }));
      },
    ],
  });
}

const h = { 'x-vault-token': TOKEN, 'content-type': 'application/json' };

t.test('answers use the Vault envelope with exactly application/json', async (t) => {
  const a = await app();
  const res = await a.inject({ method: 'PUT', url: '/v1/things/one', headers: h, payload: { colour: 'red' } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/json');
  t.equal(res.headers['cache-control'], 'no-store', 'as Vault: no cache keeps an answer');
  t.match(res.json(), {
    request_id: String, lease_id: '', renewable: false, lease_duration: 0,
    data: { name: 'one', colour: 'red' }, wrap_info: null, warnings: null, auth: null,
  });
});

t.test('a malformed body is a 400 in the error envelope', async (t) => {
  const a = await app();
  const res = await a.inject({ method: 'PUT', url: '/v1/things/one', headers: h, payload: '{"colour": ' });
  t.equal(res.statusCode, 400);
  t.equal(res.headers['content-type'], 'application/json');
  t.equal(res.headers['cache-control'], 'no-store', 'errors too');
  t.match(res.json(), { errors: [/not valid JSON/] });
  // Vault reads bodies as JSON whatever the Content-Type (curl -d sends a form type).
  const form = await a.inject({
    method: 'PUT', url: '/v1/things/one', headers: { ...h, 'content-type': 'application/x-www-form-urlencoded' }, payload: '{"colour":"red"}',
  });
  t.equal(form.statusCode, 200);
  t.equal(form.json().data.colour, 'red');
});

t.test('an unknown field is a 400 that names it', async (t) => {
  const a = await app();
  const res = await a.inject({ method: 'PUT', url: '/v1/things/one', headers: h, payload: { colour: 'red', flavour: 'x' } });
  t.equal(res.statusCode, 400);
  t.match(res.json(), { errors: [/unknown field "flavour"/] });
  const wrongType = await a.inject({ method: 'PUT', url: '/v1/things/one', headers: h, payload: { size: 'big' } });
  t.equal(wrongType.statusCode, 400);
  t.match(wrongType.json(), { errors: [/size/] });
});

t.test('an unknown path is a 404 and a wrong method a 405, both in the envelope', async (t) => {
  const a = await app();
  const missing = await a.inject({ method: 'GET', url: '/v1/no/such/path', headers: h });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { errors: [/unknown path/] });
  const anonymous = await a.inject({ method: 'GET', url: '/v1/no/such/path' });
  t.equal(anonymous.statusCode, 404, 'unknown paths are 404 with or without a token');
  const wrong = await a.inject({ method: 'DELETE', url: '/v1/things/one', headers: h });
  t.equal(wrong.statusCode, 405);
  t.match(wrong.json(), { errors: [/not allowed/] });
});

t.test('missing or wrong tokens and denied paths get 403', async (t) => {
  const a = await app();
  t.equal((await a.inject({ method: 'GET', url: '/v1/things?list=true' })).statusCode, 403);
  t.equal((await a.inject({ method: 'GET', url: '/v1/things?list=true', headers: { 'x-vault-token': 'nope' } })).statusCode, 403);
  const bearer = await a.inject({ method: 'GET', url: '/v1/things?list=true', headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(bearer.statusCode, 200, 'Authorization: Bearer is accepted too');
  t.equal((await a.inject({ method: 'GET', url: '/v1/forbidden/x', headers: h })).statusCode, 403);
});

t.test('LIST is accepted as ?list= with Go booleans, with or without a trailing slash', async (t) => {
  const a = await app();
  for (const q of ['true', 'True', '1']) {
    for (const path of ['/v1/things', '/v1/things/']) {
      const res = await a.inject({ method: 'GET', url: `${path}?list=${q}`, headers: h });
      t.equal(res.statusCode, 200, `${path}?list=${q}`);
      t.same(res.json().data.keys, ['a', 'b']);
    }
  }
  const notList = await a.inject({ method: 'GET', url: '/v1/things?list=false', headers: h });
  t.equal(notList.statusCode, 405, 'list=false is a plain GET, which this path does not have');
});

t.test('the raw LIST verb from node-vault works over a real socket', async (t) => {
  const a = await app();
  const base = await a.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => a.close());
  const client = vault({ endpoint: base, token: TOKEN });
  const res = await client.list('things');
  t.same(res.data.keys, ['a', 'b']);
  // The socket is reused by other clients after a LIST: a normal request still works.
  const write = await client.write('things/two', { colour: 'blue' });
  t.equal(write.data.colour, 'blue');
  // node-vault turns 403 into a rejected promise with the status code.
  const denied = await vault({ endpoint: base, token: 'bad' }).list('things').then(() => undefined, (e: { response?: { statusCode: number } }) => e);
  t.equal(denied?.response?.statusCode, 403);
});

t.test('body fields that repeat a path parameter are accepted (hvac sends them)', async (t) => {
  const a = await app();
  const res = await a.inject({ method: 'PUT', url: '/v1/things/one', headers: h, payload: { name: 'one', colour: 'red' } });
  t.equal(res.statusCode, 200);
  const clash = await a.inject({ method: 'PUT', url: '/v1/things/one', headers: h, payload: { name: 'other' } });
  t.equal(clash.statusCode, 400, 'a different value is still an unknown field');
});
