// The SDK helpers the database engines share: Vault-style username templates, password
// policies, statement splitting and context-aware quoting, mysql DSN parsing, server flavors.
import t from 'tap';
import { compileUsernameTemplate } from '../../plugins/sdk/username-template.js';
import { usernameGenerator } from '../../plugins/sdk/usernames.js';
import { generatePassword } from '../../plugins/sdk/password-policy.js';
import { renderStatement, splitStatements } from '../../plugins/sdk/statements.js';
import { pgDialect } from '../../plugins/postgres/backend.js';
import { mysqlDialect, flavorOf } from '../../plugins/mysql/backend.js';
import { PG_DEFAULT_USERNAME_TEMPLATE } from '../../plugins/postgres/index.js';
import { MYSQL_DEFAULT_USERNAME_TEMPLATE } from '../../plugins/mysql/index.js';
import { parseMysqlTarget } from '../../plugins/mysql/target.js';

const data = { DisplayName: 'token-alice', RoleName: 'readonly-app' };
const at = Date.UTC(2026, 0, 2, 3, 4, 5);

t.test('username templates render Vault\'s functions', async (t) => {
  const r = (tpl: string) => compileUsernameTemplate(tpl).render(data, at);
  t.match(r(PG_DEFAULT_USERNAME_TEMPLATE), /^v-token-al-readonly-[A-Za-z0-9]{20}-1767323045$/);
  t.equal(r('{{.RoleName | uppercase | truncate 4}}'), 'READ');
  t.equal(r('{{ .DisplayName | replace "-" "_" }}'), 'token_alice');
  t.equal(r('{{unix_time}}/{{unix_time_millis}}'), `${at / 1000}/${at}`);
  t.equal(r('{{ truncate_sha256 12 "abcdefghijklmnop" }}').length, 12);
  t.equal(r('{{- " x " -}}'), ' x ');
  t.match(r('{{ printf "%s_%d%%" (lowercase "AB") 7 }}'), 'ab_7%');
  t.match(r('{{uuid}}'), /^[0-9a-f-]{36}$/);
  for (const bad of ['{{', '{{ nope }}', '{{ .Missing }}', '{{ random }}', '{{ (random 3 }}']) {
    t.throws(() => r(bad), `refused: ${bad}`);
  }
});

t.test('usernames: inputs cleaned, outputs checked, prefix found', async (t) => {
  const pg = usernameGenerator(PG_DEFAULT_USERNAME_TEMPLATE, 63);
  t.equal(pg.prefix, 'v-');
  const name = pg.generate({ displayName: 'évil"; --', roleName: "o'brien", now: at });
  t.match(name, /^v-[a-zA-Z0-9_.-]+$/);
  t.ok(name.length <= 63);
  const my = usernameGenerator(MYSQL_DEFAULT_USERNAME_TEMPLATE, 32);
  t.equal(my.generate({ displayName: 'x'.repeat(40), roleName: 'y'.repeat(40), now: at }).length, 32);
  t.equal(usernameGenerator('app-{{random 8}}', 32).prefix, 'app-');
  t.throws(() => usernameGenerator('{{.RoleName}}{{random 40}}', 32), /limit is 32/);
  t.throws(() => usernameGenerator('a b {{random 4}}', 32), /letters, digits/);
});

t.test('passwords follow the policy', async (t) => {
  const p = generatePassword();
  t.equal(p.length, 24);
  t.match(p, /[a-z]/);
  t.match(p, /[A-Z]/);
  t.match(p, /[0-9]/);
  t.match(p, /-/);
  const q = generatePassword({ length: 40, rules: [{ charset: 'ab', min_chars: 30 }, { charset: '!', min_chars: 10 }] });
  t.equal(q.replace(/[ab]/g, '').length, 10);
  t.throws(() => generatePassword({ charset: "ab'" }), /quotes/);
  t.throws(() => generatePassword({ length: 8, rules: [{ charset: 'ab', min_chars: 9 }] }), /require 9/);
  t.not(generatePassword(), generatePassword());
});

t.test('statements split at top-level semicolons only', async (t) => {
  const src = `CREATE ROLE "{{name}}" PASSWORD 'a;b'; DO $$ BEGIN RAISE NOTICE 'x;y'; END $$; -- c;
    GRANT x TO "{{name}}";`;
  t.same(splitStatements(src, pgDialect), [
    `CREATE ROLE "{{name}}" PASSWORD 'a;b'`,
    `DO $$ BEGIN RAISE NOTICE 'x;y'; END $$`,
    '-- c;\n    GRANT x TO "{{name}}"',
  ]);
  t.same(splitStatements(['a; b', 'c'], mysqlDialect), ['a', 'b', 'c']);
  t.same(splitStatements(undefined, pgDialect), []);
});

t.test('placeholders are escaped for where they stand', async (t) => {
  const v = { name: 'a"b', username: 'u', password: "p'q", expiration: '2026-01-01 00:00:00+00:00' };
  t.equal(renderStatement(`CREATE ROLE "{{name}}" PASSWORD '{{password}}'`, v, pgDialect), `CREATE ROLE "a""b" PASSWORD 'p''q'`);
  t.equal(renderStatement('CREATE ROLE {{name}} PASSWORD {{password}}', v, pgDialect), `CREATE ROLE "a""b" PASSWORD 'p''q'`);
  t.equal(renderStatement("CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'", v, mysqlDialect), `CREATE USER 'a"b'@'%' IDENTIFIED BY 'p''q'`);
  t.equal(renderStatement('GRANT r TO `{{name}}`', { ...v, name: 'a`b' }, mysqlDialect), 'GRANT r TO `a``b`');
  t.equal(renderStatement('SELECT 1 -- {{password}}', v, pgDialect), 'SELECT 1 -- {{password}}', 'no value put into a comment');
  t.throws(() => renderStatement('SELECT {{bogus}}', v, pgDialect), /unknown placeholder/);
  t.throws(() => renderStatement('DO $$ {{password}} $$', v, pgDialect), /plain value/);
  t.equal(renderStatement('DO $$ {{username}} $$', v, pgDialect), 'DO $$ u $$');
});

t.test('mysql connection URLs: Go DSNs and mysql:// URLs, credentials filled after parsing', async (t) => {
  const cfg = { username: 'adm', password: 'p@ss:w/rd' };
  t.same(parseMysqlTarget({ ...cfg, connection_url: '{{username}}:{{password}}@tcp(db.example:3307)/app' }),
    { host: 'db.example', port: 3307, user: 'adm', password: 'p@ss:w/rd', database: 'app' });
  t.same(parseMysqlTarget({ ...cfg, connection_url: '{{username}}:{{password}}@tcp([::1]:3306)/' }),
    { host: '::1', port: 3306, user: 'adm', password: 'p@ss:w/rd' });
  t.same(parseMysqlTarget({ ...cfg, connection_url: 'mysql://{{username}}:{{password}}@127.0.0.1:3306/x' }),
    { host: '127.0.0.1', port: 3306, user: 'adm', password: 'p@ss:w/rd', database: 'x' });
  t.throws(() => parseMysqlTarget({ connection_url: 'nonsense' }));
});

t.test('server flavors choose statements', async (t) => {
  t.equal(flavorOf('8.0.36'), 'mysql');
  t.equal(flavorOf('10.11.19-MariaDB-0+deb12u1'), 'mariadb');
  t.equal(flavorOf('10.1.48-MariaDB'), 'mariadb-old');
  t.equal(flavorOf('11.4.2-MariaDB'), 'mariadb');
});

t.test('statements may not control the transaction lessor runs them in', async (t) => {
  for (const stmt of ['BEGIN', 'commit', '  ROLLBACK', 'START TRANSACTION', 'END', 'SAVEPOINT s', 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE']) {
    t.throws(() => renderStatement(stmt, {}, pgDialect), /transaction control .* not allowed/, `${stmt.trim()} is refused`);
  }
  t.equal(renderStatement('DO $$ BEGIN RAISE NOTICE \'x\'; END $$', {}, pgDialect), 'DO $$ BEGIN RAISE NOTICE \'x\'; END $$', 'a DO block is fine');
  t.equal(renderStatement('BEGIN NOT ATOMIC SELECT 1; END', {}, mysqlDialect), 'BEGIN NOT ATOMIC SELECT 1; END', "MariaDB's anonymous block is fine");
  t.equal(renderStatement('ENDORSE_NOTHING', {}, pgDialect), 'ENDORSE_NOTHING', 'only whole keywords count');
});
