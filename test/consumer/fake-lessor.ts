// A small stand-in for lessor's HTTP API (AppRole login, creds, sys/leases) with Vault's
// shapes and max-TTL capping, for testing the client's and agent's own logic — retries,
// re-login, rotation timing, file writing — fast and with faults on demand. The end-to-end
// tests use the real server and PostgreSQL instead.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Teardown } from '../helpers/context.js';

export interface FakeLease { id: string; path: string; issuedAt: number; expiresAt: number; maxAt: number; revoked: boolean; username: string }

export interface FakeLessor {
  url: string;
  roleId: string;
  secretId: string;
  leases: Map<string, FakeLease>;
  /** Answer the next n requests with 503. */
  fail503(n: number): void;
  /** Invalidate every token (the next request gets 403 and must log in again). */
  revokeTokens(): void;
  logins: number;
  tokenRenewals: number;
  requests: string[];
  close(): Promise<void>;
}

export async function fakeLessor(t: Teardown, o: { ttl?: number; maxTtl?: number; tokenTtl?: number; tokenMaxTtl?: number; port?: number; roleId?: string; secretId?: string } = {}): Promise<FakeLessor> {
  const ttl = o.ttl ?? 2;
  const maxTtl = o.maxTtl ?? 5;
  const tokens = new Map<string, number>(); // token → max expiry (ms)
  const app = Fastify();
  let fail = 0;
  let n = 0;
  const state: FakeLessor = {
    url: '', roleId: o.roleId ?? randomBytes(8).toString('hex'), secretId: o.secretId ?? randomBytes(8).toString('hex'),
    leases: new Map(), logins: 0, tokenRenewals: 0, requests: [],
    fail503: (k) => { fail = k; },
    revokeTokens: () => tokens.clear(),
    close: () => app.close(),
  };
  const env = (e: Record<string, unknown>) => ({ request_id: 'r', lease_id: '', lease_duration: 0, renewable: false, data: null, auth: null, warnings: null, wrap_info: null, ...e });
  const deny = (reply: FastifyReply) => reply.code(403).send({ errors: ['permission denied'] });
  const authed = (req: FastifyRequest) => tokens.has(String(req.headers['x-vault-token'] ?? ''));

  app.addHook('onRequest', async (req, reply) => {
    state.requests.push(`${req.method} ${req.url}`);
    if (fail > 0) {
      fail--;
      return reply.code(503).send({ errors: ['redis unavailable'] });
    }
  });
  app.route({ method: ['PUT', 'POST'], url: '/v1/auth/approle/login', handler: async (req, reply) => {
    const b = req.body as { role_id?: string; secret_id?: string };
    if (b.role_id !== state.roleId || b.secret_id !== state.secretId) return reply.code(400).send({ errors: ['invalid role ID or secret ID'] });
    const token = `lsr.${randomBytes(8).toString('hex')}`;
    tokens.set(token, Date.now() + (o.tokenMaxTtl ?? 86400) * 1000);
    state.logins++;
    return env({ auth: { client_token: token, accessor: `acc${state.logins}`, policies: ['app'], lease_duration: o.tokenTtl ?? 3600, renewable: true } });
  } });
  app.get('/v1/auth/token/lookup-self', async (req, reply) => {
    if (!authed(req)) return deny(reply);
    return env({ data: { accessor: 'acc' } });
  });
  app.get('/v1/secret/forbidden', async (_req, reply) => deny(reply));
  app.put('/v1/auth/token/renew-self', async (req, reply) => {
    if (!authed(req)) return deny(reply);
    state.tokenRenewals++;
    const maxAt = tokens.get(String(req.headers['x-vault-token']))!;
    const inc = (req.body as { increment?: number }).increment ?? 60;
    const granted = Math.floor(Math.min(inc * 1000, maxAt - Date.now()) / 1000);
    return env({ auth: { client_token: req.headers['x-vault-token'], accessor: 'acc', lease_duration: granted, renewable: granted === inc } });
  });
  app.get('/v1/database/creds/:role', async (req, reply) => {
    if (!authed(req)) return deny(reply);
    const now = Date.now();
    const { role } = req.params as { role: string };
    const l: FakeLease = { id: `database/creds/${role}/${randomBytes(6).toString('hex')}`, path: `database/creds/${role}`, issuedAt: now,
      expiresAt: now + ttl * 1000, maxAt: now + maxTtl * 1000, revoked: false, username: `v-${role}-${++n}` };
    state.leases.set(l.id, l);
    return env({ lease_id: l.id, lease_duration: ttl, renewable: true, data: { username: l.username, password: `p w'${randomBytes(6).toString('hex')}` } });
  });
  const live = (id: unknown) => {
    const l = state.leases.get(String(id));
    return l && !l.revoked && l.expiresAt > Date.now() ? l : undefined;
  };
  app.put('/v1/sys/leases/renew', async (req, reply) => {
    if (!authed(req)) return deny(reply);
    const b = req.body as { lease_id: string; increment?: number };
    const l = live(b.lease_id);
    if (!l) return reply.code(400).send({ errors: ['lease not found or expired'] });
    const now = Date.now();
    l.expiresAt = Math.min(now + (b.increment ?? ttl) * 1000, l.maxAt);
    return env({ lease_id: l.id, lease_duration: Math.floor((l.expiresAt - now) / 1000), renewable: true });
  });
  app.put('/v1/sys/leases/lookup', async (req, reply) => {
    if (!authed(req)) return deny(reply);
    const l = live((req.body as { lease_id: string }).lease_id);
    if (!l) return reply.code(400).send({ errors: ['invalid lease'] });
    return env({ data: { id: l.id, ttl: Math.floor((l.expiresAt - Date.now()) / 1000), renewable: true } });
  });
  app.put('/v1/sys/leases/revoke', async (req, reply) => {
    if (!authed(req)) return deny(reply);
    const l = state.leases.get((req.body as { lease_id: string }).lease_id);
    if (l) l.revoked = true;
    return reply.code(204).send();
  });
  app.get('/v1/secret/list-me', async (req, reply) => {
    if (!authed(req)) return deny(reply);
    if ((req.query as { list?: string }).list !== 'true') return reply.code(405).send({ errors: ['use LIST'] });
    return env({ data: { keys: ['a', 'b/'] } });
  });
  state.url = await app.listen({ host: '127.0.0.1', port: o.port ?? 0 });
  t.teardown(() => app.close());
  return state;
}
