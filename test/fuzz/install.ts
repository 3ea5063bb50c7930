// The install the fuzz suite attacks: a whole lessor runtime on the real servers with every
// engine mounted and something under each name the generators use (KNOWN_NAMES), so fuzzed
// requests reach real objects; a narrow token whose policy denies a few of them; and a
// snapshot of those denied objects to prove afterwards that no request changed them.
import type { Test } from 'tap';
import { testRuntime, type TestRuntime } from '../helpers/test-runtime.js';
import { pgFixture } from '../database/pg-fixture.js';
import { mariadbFixture } from '../database/mariadb-fixture.js';
import { KNOWN_NAMES } from './hostile.js';

/** u1's password; the narrow token must not be able to change it. */
export const U1_PASSWORD = 'correct horse battery staple u1';

/**
 * Allowed broadly, denied on one name per object kind. In Vault's matcher the longer glob wins,
 * so `r1*` beats `*`; the deny must hold for every spelling of those names the server accepts.
 */
const NARROW_POLICY = {
  path: {
    'auth/approle/role/*': { capabilities: ['create', 'read', 'update', 'delete', 'list'] },
    'auth/approle/role/r1*': { capabilities: ['deny'] },
    'auth/userpass/users/*': { capabilities: ['create', 'read', 'update', 'delete', 'list'] },
    'auth/userpass/users/u1*': { capabilities: ['deny'] },
    'sys/policies/acl/*': { capabilities: ['create', 'read', 'update', 'delete', 'list'] },
    'sys/policies/acl/narrow*': { capabilities: ['deny'] },
    'sys/policy/*': { capabilities: ['create', 'read', 'update', 'delete', 'list'] },
    'sys/policy/narrow*': { capabilities: ['deny'] },
    'database/roles/*': { capabilities: ['create', 'read', 'update', 'delete', 'list'] },
    'database/roles/reader*': { capabilities: ['deny'] },
    'database/creds/*': { capabilities: ['read', 'update'] },
    'sys/capabilities-self': { capabilities: ['update'] },
  },
};

/**
 * Request paths the narrow token must never get a 2xx on. AppRole role names, usernames and
 * policy names are case-insensitive (Vault lowercases them), so R1 is r1 and the deny holds for
 * it; database role names are case-sensitive, so only `reader` itself is denied there.
 */
export const NARROW_DENIED = [/^auth\/approle\/role\/r1/i, /^auth\/userpass\/users\/u1/i, /^sys\/policies\/acl\/narrow/i, /^sys\/policy\/narrow/i, /^database\/roles\/reader/];

/** What exists under each collection of the install, so a route's parameters name real objects. */
const NAMES: Array<[RegExp, string[]]> = [
  [/^\/v1\/auth\/approle\/role\//, ['r1', 'r2']],
  [/^\/v1\/auth\/userpass\//, ['u1', 'u2']],
  [/^\/v1\/sys\/polic/, ['narrow', 'app', 'default', 'root']],
  [/^\/v1\/database\/config\//, ['pg', 'maria']],
  [/^\/v1\/database\//, ['reader', 'mreader']],
  [/^\/v1\/apikey\//, ['orders']],
  [/^\/v1\/jwt\/keys\//, ['main']],
  [/^\/v1\/jwt\//, ['svc', 'main']],
  [/^\/v1\/auth\/token\//, ['app']],
];

export function namesAt(url: string): string[] {
  return NAMES.find(([re]) => re.test(url))?.[1] ?? KNOWN_NAMES;
}

/**
 * The spelling of a denied name to try first on a route, if one is denied there: the one the
 * narrow policy does not literally name (R1 for r1), except where names are case-sensitive.
 */
export function deniedSpelling(url: string): string | undefined {
  if (/^\/v1\/auth\/approle\/role\/:/.test(url)) return 'R1';
  if (/^\/v1\/auth\/userpass\/users\/:/.test(url)) return 'U1';
  if (/^\/v1\/sys\/polic(y|ies\/acl)\/:/.test(url)) return 'NARROW';
  if (/^\/v1\/database\/roles\/:/.test(url)) return 'reader';
  return undefined;
}

export interface FuzzInstall {
  tr: TestRuntime;
  /** Tokens the fuzz may revoke (revoke-self is in the default policy): a new one when it has been. */
  narrowToken(): Promise<string>;
  rootToken(): Promise<string>;
  /**
   * Puts the narrow policy back if a request changed it, and says whether it had to: without
   * it the narrow token can do nothing, and the routes after the one that broke it go untested.
   */
  restoreNarrowPolicy(): Promise<boolean>;
  /** The denied objects as root reads them (and whether u1's password still logs in). */
  deniedState(): Promise<Record<string, unknown>>;
}

async function must(tr: TestRuntime, method: string, path: string, body?: unknown, ok = [200, 204]) {
  const res = await tr.call(method, path, body === undefined ? {} : { body });
  if (!ok.includes(res.status)) throw new Error(`fuzz setup ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function fuzzInstall(t: Test): Promise<FuzzInstall> {
  // With the audit log on, as a production install runs: every hostile body goes through its
  // scrubber too. Its lines are not what this suite checks, so they go nowhere.
  const [tr, pgFx, mariaFx] = await Promise.all([testRuntime(t, { env: { LESSOR_AUDIT_FILE: '/dev/null' } }), pgFixture(t), mariadbFixture(t)]);
  const narrowText = JSON.stringify(NARROW_POLICY);
  await must(tr, 'PUT', 'sys/policies/acl/narrow', { policy: narrowText });
  await must(tr, 'PUT', 'sys/policies/acl/app', { policy: 'path "sys/key-status" { capabilities = ["read"] }' });
  for (const r of ['r1', 'r2']) await must(tr, 'POST', `auth/approle/role/${r}`, { token_policies: ['app'], token_ttl: '1h' });
  await must(tr, 'POST', 'auth/userpass/users/u1', { password: U1_PASSWORD, token_policies: ['app'] });
  await must(tr, 'POST', 'auth/userpass/users/u2', { password: 'u2 password u2 password', token_policies: ['app'] });
  await must(tr, 'POST', 'database/config/pg', { ...pgFx.config, allowed_roles: ['*'] });
  await must(tr, 'POST', 'database/roles/reader', { ...pgFx.groupRole, db_name: 'pg' });
  await must(tr, 'POST', 'database/config/maria', { ...mariaFx.config, allowed_roles: ['*'] });
  await must(tr, 'POST', 'database/roles/mreader', { ...mariaFx.role, db_name: 'maria' });
  await must(tr, 'POST', 'apikey/roles/orders', { key_prefix: 'acme', scopes: ['orders:read'], default_ttl: '1h' });
  await must(tr, 'POST', 'jwt/keys/main', { algorithm: 'ES256' });
  await must(tr, 'POST', 'jwt/roles/svc', { key: 'main', ttl: '10m', audience: 'orders' });
  await must(tr, 'POST', 'auth/token/roles/app', { allowed_policies: ['app'] });
  const live = async (token: string) => token !== '' && (await tr.call('GET', 'auth/token/lookup-self', { token })).status === 200;
  let narrow = '';
  const narrowToken = async () => {
    if (await live(narrow)) return narrow;
    narrow = (await must(tr, 'POST', 'auth/token/create', { policies: ['narrow'], ttl: '24h' })).auth.client_token as string;
    return narrow;
  };
  let root = '';
  const rootToken = async () => {
    if (await live(root)) return root;
    const made = await tr.call('POST', 'auth/token/create-orphan', { body: { policies: ['root'], ttl: '24h' } });
    // A server the fuzz has broken may refuse even this; fall back to the bootstrap root token
    // so the run goes on and its checks say what broke.
    root = made.status === 200 ? (made.body.auth.client_token as string) : tr.rootToken;
    return root;
  };

  const restoreNarrowPolicy = async () => {
    const now = await tr.call('GET', 'sys/policies/acl/narrow');
    if (now.status === 200 && now.body.data.policy === narrowText) return false;
    await must(tr, 'PUT', 'sys/policies/acl/narrow', { policy: narrowText });
    return true;
  };

  const deniedState = async () => {
    const read = async (path: string) => {
      const res = await tr.call('GET', path);
      return { status: res.status, data: res.body?.data };
    };
    // From an address no fuzzed login came from: a brute-force limit on the fuzz's own address
    // may refuse u1 there, and that is not a change to u1.
    const login = await tr.rt.app.inject({
      method: 'POST', url: '/v1/auth/userpass/login/u1', remoteAddress: '198.51.100.7', payload: { password: U1_PASSWORD },
    });
    return {
      'auth/approle/role/r1': await read('auth/approle/role/r1'),
      'auth/approle/role/r1/role-id': await read('auth/approle/role/r1/role-id'),
      'auth/userpass/users/u1': await read('auth/userpass/users/u1'),
      'u1 logs in with its password': login.statusCode,
      'sys/policies/acl/narrow': await read('sys/policies/acl/narrow'),
      'database/roles/reader': await read('database/roles/reader'),
    };
  };
  return { tr, narrowToken, rootToken, restoreNarrowPolicy, deniedState };
}
