// Shared setup of the jwt end-to-end tests: a whole lessor runtime (optionally with a clock the
// test moves), one key set and one role, a caller token with entity metadata for the claim
// template (an AppRole login whose secret ID an operator issued with that metadata).
import type { JSONWebKeySet } from 'jose';
import type { Teardown } from '../helpers/context.js';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';
import { manualClock } from '../plugins-apikey/tokens.js';

export interface JwtSetup {
  tr: TestRuntime;
  clock?: ReturnType<typeof manualClock>;
  caller: string;
  issue(role?: string): Promise<{ token: string; lease_id: string; lease_duration: number }>;
  jwks(): Promise<JSONWebKeySet & { keys: Array<{ kid?: string }> }>;
  ok<T = any>(method: string, path: string, body?: unknown): Promise<T>;
}

export async function jwtSetup(
  t: Teardown,
  opts: { clock?: boolean; keySet?: Record<string, unknown>; role?: Record<string, unknown>; shareWith?: TestRuntime } = {},
): Promise<JwtSetup> {
  const clock = opts.clock ? manualClock() : undefined;
  const tr = await testRuntime(t, { ...(clock ? { runtime: { clock: clock.now } } : {}), ...(opts.shareWith ? { shareWith: opts.shareWith } : {}) });
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await tr.call(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  if (!opts.shareWith) {
    await ok('POST', 'jwt/keys/main', { algorithm: 'ES256', rotation_period: '1h', verification_ttl: '30m', ...opts.keySet });
    await ok('POST', 'jwt/roles/svc', {
      key: 'main', ttl: '10m', audience: 'orders', issuer: 'https://lessor.test/v1/jwt',
      claims: { team: '{{identity.entity.metadata.team}}' }, ...opts.role,
    });
  }
  const caller = await loginWithMetadata(ok, `caller-${Math.random().toString(36).slice(2, 8)}`, 'path "jwt/token/*" { capabilities = ["read"] }', { team: 'payments' });
  return {
    tr,
    clock,
    caller,
    ok,
    async issue(role = 'svc') {
      const res = await tr.call('GET', `jwt/token/${role}`, { token: caller });
      if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
      return { token: res.body.data.token, lease_id: res.body.lease_id, lease_duration: res.body.lease_duration };
    },
    async jwks() {
      const res = await tr.call('GET', 'jwt/.well-known/jwks.json', { token: null });
      if (res.status !== 200) throw new Error(`jwks: ${res.status}`);
      return res.body;
    },
  };
}

/**
 * A token from an AppRole login: its policy is `policy`, and its entity metadata is what the
 * operator (root) put on its secret ID, the source claim templates read.
 */
export async function loginWithMetadata(
  ok: JwtSetup['ok'],
  name: string,
  policy: string,
  metadata: Record<string, string>,
): Promise<string> {
  await ok('PUT', `sys/policies/acl/${name}`, { policy });
  await ok('POST', `auth/approle/role/${name}`, { token_policies: name });
  const roleId = (await ok('GET', `auth/approle/role/${name}/role-id`)).data.role_id;
  const secretId = (await ok('POST', `auth/approle/role/${name}/secret-id`, { metadata: JSON.stringify(metadata) })).data.secret_id;
  return (await ok('POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId })).auth.client_token;
}
