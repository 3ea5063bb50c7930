// hvac (Python, Debian's python3-hvac) drives the database mount with its own database methods,
// unchanged: configure, roles, creds, lease renew/revoke, static roles, rotate-root.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { testRuntime } from '../helpers/test-runtime.js';
import { pgFixture } from './pg-fixture.js';

const run = promisify(execFile);
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const script = fileURLToPath(new URL('./hvac_database.py', import.meta.url));

t.test('hvac database methods against PostgreSQL', async (t) => {
  const fx = await pgFixture(t);
  const tr = await testRuntime(t);
  const staticUser = `${fx.tag}_hvac_static`;
  await fx.su(`CREATE ROLE "${staticUser}" LOGIN PASSWORD 'seed-password' IN ROLE "${fx.group}"`);
  const setup = { config: fx.config, creation_statements: fx.groupRole.creation_statements, static_user: staticUser };
  const { stdout } = await run(PYTHON, [script, await tr.listen(), tr.rootToken, JSON.stringify(setup)], { timeout: 60_000 });
  const out = JSON.parse(stdout);

  t.equal(out.config.username, fx.admin);
  t.notOk('password' in out.config, 'no password in the config read');
  t.equal(out.role.db_name, 'pg');
  t.equal(out.creds.lease_duration, 600);
  t.equal(out.renewed, 1200, 'lease renewed through hvac');
  t.notOk(await fx.roleExists(out.creds.username), 'revoked through hvac: user gone');
  t.equal(out.static.username, staticUser);
  t.ok(await fx.canSelect(staticUser, out.static.password), 'static password from hvac works');
  t.ok(await fx.canSelect(out.after_rotate_root.username, out.after_rotate_root.password), 'creds after rotate-root work');
  t.equal(await fx.login(fx.admin, fx.adminPassword), null, 'old admin password refused');
  t.match(out.bad_config, /authentication failed/, 'wrong password: hvac raises InvalidRequest (400)');
});
