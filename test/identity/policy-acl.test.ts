import t from 'tap';
import { Acl, morePrecise } from '../../src/auth/policy-acl.js';
import { parsePolicy } from '../../src/auth/policy-parse.js';

const acl = (...texts: string[]) => new Acl(texts.map(parsePolicy));

t.test('deny by default, exact paths, * suffix glob, + one segment', async (t) => {
  const a = acl(JSON.stringify({
    path: {
      'database/creds/app-*': { capabilities: ['read'] },
      'secret/+/config': { capabilities: ['read', 'list'] },
      'sys/leases/lookup': { capabilities: ['update'] },
    },
  }));
  t.ok(a.allows('database/creds/app-orders', ['read']));
  t.ok(a.allows('database/creds/app-', ['read']));
  t.notOk(a.allows('database/creds/other', ['read']), 'glob does not match a different prefix');
  t.notOk(a.allows('database/creds/app-orders', ['update']), 'capability not granted');
  t.ok(a.allows('secret/team1/config', ['list']));
  t.notOk(a.allows('secret/team1/sub/config', ['read']), '+ is exactly one segment');
  t.ok(a.allows('secret//config', ['read']), '+ matches an empty segment too, as in Vault');
  const lister = acl(JSON.stringify({ path: { 'database/roles/+': { capabilities: ['list'] } } }));
  t.ok(lister.allows('database/roles/', ['list'], true), 'so "x/+" grants the LIST of x/ (path "x/")');
  t.same(lister.capabilities('database/roles/'), ['list']);
  t.notOk(lister.allows('database/roles', ['list'], true), 'but not of x (one segment short)');
  t.ok(a.allows('sys/leases/lookup', ['update']));
  t.notOk(a.allows('sys/leases/lookup/x', ['update']), 'exact path is exact');
  t.notOk(a.allows('anything/else', ['read']), 'deny by default');
  t.notOk(acl('{}').allows('x', ['read']));
});

t.test('deny wins over allow for the same path in any policy', async (t) => {
  const allow = JSON.stringify({ path: { 'secret/*': { capabilities: ['read', 'update'] } } });
  const deny = JSON.stringify({ path: { 'secret/*': { capabilities: ['deny'] } } });
  t.ok(acl(allow).allows('secret/a', ['read']));
  t.notOk(acl(allow, deny).allows('secret/a', ['read']));
  t.notOk(acl(deny, allow).allows('secret/a', ['update']), 'order of policies does not matter');
  t.same(acl(deny, allow).capabilities('secret/a'), ['deny']);
});

t.test('the most specific path wins', async (t) => {
  const a = acl(JSON.stringify({
    path: {
      'secret/*': { capabilities: ['read'] },
      'secret/admin/*': { capabilities: ['deny'] },
      'secret/admin/public': { capabilities: ['read'] },
      'secret/+/special': { capabilities: ['update'] },
    },
  }));
  t.ok(a.allows('secret/app/x', ['read']));
  t.notOk(a.allows('secret/admin/x', ['read']), 'a more specific deny overrides a broader allow');
  t.ok(a.allows('secret/admin/public', ['read']), 'an exact path beats a glob');
  t.ok(a.allows('secret/app/special', ['update']), '+ at a later position beats an earlier *');
  t.notOk(a.allows('secret/app/special', ['read']));
  t.ok(morePrecise('a/b/*', 'a/*'));
  t.ok(morePrecise('a/b', 'a/b*'), 'no trailing * beats trailing *');
  t.ok(morePrecise('a/+/c', 'a/+/+'), 'fewer + wins');
  t.ok(morePrecise('a/bc*', 'a/b*'), 'first wildcard later wins');
});

t.test('a LIST is matched as Vault matches one: with and without its trailing slash', async (t) => {
  // The paths are what Vault's ACL sees for `vault list <path>`: the path with a trailing slash.
  const a = acl(JSON.stringify({
    path: {
      'database/roles/*': { capabilities: ['read', 'list'] },
      'sys/policies/acl': { capabilities: ['list'] },
      'kv/team/*': { capabilities: ['list'] },
      'kv/tea*': { capabilities: ['deny'] },
    },
  }));
  t.ok(a.allows('database/roles/', ['list'], true), 'path "x/*" grants vault list x');
  t.notOk(a.allows('database/roles', ['read']), 'the bare path itself is still not granted');
  t.ok(a.allows('sys/policies/acl/', ['list'], true), 'an exact pattern without the slash grants the list');
  t.notOk(a.allows('sys/policies/acl/', ['list']), 'only a LIST falls back to the path without the slash');
  t.notOk(a.allows('sys/policies/acl/x', ['list'], true), 'and stays exact');
  t.notOk(a.allows('kv/team/', ['list'], true), 'the path without the slash is tried first: its deny decides');
  t.ok(a.allows('kv/team/app/', ['list'], true), 'deeper paths are matched as before');
  t.same(a.capabilities('database/roles/'), ['list', 'read'], 'capabilities of "x/" are those of a LIST');
  t.same(a.capabilities('database/roles'), ['deny'], 'and of "x" those of the bare path');
  t.same(a.capabilities('sys/policies/acl/'), ['list']);
});

t.test('+ is a wildcard only as a whole segment, as in Vault', async (t) => {
  const a = acl(JSON.stringify({
    path: {
      'secret/a+b': { capabilities: ['read'] },
      'secret/+/x+y/*': { capabilities: ['update'] },
    },
  }));
  t.ok(a.allows('secret/a+b', ['read']), 'a + inside a segment is a literal character');
  t.notOk(a.allows('secret/aXb', ['read']));
  t.notOk(a.allows('secret/aXXb', ['read']));
  t.ok(a.allows('secret/any/x+y/deep/path', ['update']));
  t.notOk(a.allows('secret/any/xZy/deep', ['update']));
  t.ok(morePrecise('a/x+y/+', 'a/+/+'), 'a literal + is not counted as a wildcard segment');
});

t.test("Vault's newer capabilities load (they grant nothing lessor has); answers are sorted as Vault's", async (t) => {
  const rules = parsePolicy('path "kv/data/*" { capabilities = ["create", "read", "update", "patch", "delete", "list", "subscribe", "recover"] }');
  t.same(rules['kv/data/*'], ['create', 'read', 'update', 'patch', 'delete', 'list', 'subscribe', 'recover']);
  const a = new Acl([rules]);
  t.same(a.capabilities('kv/data/x'), ['create', 'delete', 'list', 'patch', 'read', 'recover', 'subscribe', 'update'], 'alphabetical, as Vault sorts them');
  t.ok(a.allows('kv/data/x', ['update']));
  const patchOnly = acl('path "kv/data/*" { capabilities = ["patch"] }');
  t.notOk(patchOnly.allows('kv/data/x', ['create', 'update']), 'patch does not grant a write');
  t.same(patchOnly.capabilities('kv/data/x'), ['patch']);
});

t.test('HCL policies: the common form, comments, legacy policy = "read"', async (t) => {
  const rules = parsePolicy(`
    # app policy
    path "database/creds/app" {
      capabilities = ["read"] // trailing comment
    }
    /* block comment */
    path "sys/leases/renew" { capabilities = ["update", "create"] }
    path "kv/*" { policy = "read" }
  `);
  t.same(rules, {
    'database/creds/app': ['read'],
    'sys/leases/renew': ['update', 'create'],
    'kv/*': ['read', 'list'],
  });
  t.throws(() => parsePolicy('path "x" { capabilities = ["read", "fly"] }'), /unknown capability "fly"/);
  t.throws(() => parsePolicy('path "x" { allowed_parameters = { a = [] } }'), /not supported/);
  t.throws(() => parsePolicy('path "x" { capabilities = ["read"]'), /expected "}"/);
  t.throws(() => parsePolicy('path "a*b" { capabilities = ["read"] }'), /only allowed at the end/);
  t.throws(() => parsePolicy('{"path": 3'), /neither valid JSON nor HCL/);
  t.throws(() => parsePolicy('{"paths": {}}'), /unsupported policy field "paths"/);
});

t.test('a check against 1,000 policy paths gives the right decision', async (t) => {
  const paths: Record<string, { capabilities: string[] }> = {};
  for (let i = 0; i < 1000; i++) {
    const kind = i % 4;
    if (kind === 0) paths[`database/creds/app-${i}`] = { capabilities: ['read'] };
    else if (kind === 1) paths[`secret/team-${i}/*`] = { capabilities: ['read', 'list'] };
    else if (kind === 2) paths[`kv/+/team-${i}/config`] = { capabilities: ['update'] };
    else paths[`secret/team-${i - 2}/private/*`] = { capabilities: ['deny'] };
  }
  const a = acl(JSON.stringify({ path: paths }));
  t.ok(a.allows('database/creds/app-400', ['read']));
  t.notOk(a.allows('database/creds/app-401', ['read']));
  t.ok(a.allows('secret/team-997/anything/deep', ['list']));
  t.notOk(a.allows('secret/team-997/private/key', ['read']), 'deeper deny among 1,000 paths');
  t.ok(a.allows('kv/eu/team-998/config', ['update']));
  t.notOk(a.allows('kv/eu/x/team-998/config', ['update']));
  t.notOk(a.allows('nothing/here', ['read']));
  // The decision for many lookups stays the same (the matcher is stateless once built).
  let allowed = 0;
  for (let i = 0; i < 1000; i++) if (a.allows(`database/creds/app-${i}`, ['read'])) allowed++;
  t.equal(allowed, 250);
});
