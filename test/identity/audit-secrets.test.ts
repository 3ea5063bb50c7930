// Finding: secrets reached the audit log and callers in pieces. Tokens given in any field or in
// the path, numbers in wrapped data, and parts of a generated password that a database echoed
// (folded to lower case, or cut where parsing stopped) must not be readable by either.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testRuntime } from '../helpers/test-runtime.js';
import { pgHttp } from '../database/http-setup.js';

t.test('a database error that echoes part of a generated password reaches the caller without it', async (t) => {
  const { tr, fx } = await pgHttp(t);
  // Passwords of Z, Q and '.' only: no such run appears in PostgreSQL's own wording. Inside a DO
  // body the password stands unquoted (it is plain), so PostgreSQL folds it to lower case
  // ('column "zqqz…" does not exist') or quotes the piece before a '.' ('at or near "ZQ"').
  const cfg = await tr.call('POST', 'database/config/target', { body: { ...fx.config, allowed_roles: ['*'], password_policy: { length: 30, charset: 'ZQ.' } } });
  t.equal(cfg.status, 204);
  for (const [name, stmt] of [
    ['folded', 'DO $$ BEGIN PERFORM {{password}}; END $$'],
    ['cut', 'DO $$ BEGIN CREATE ROLE x PASSWORD {{password}}; END $$'],
  ] as const) {
    t.equal((await tr.call('POST', `database/roles/${name}`, { body: { db_name: 'target', creation_statements: stmt } })).status, 204);
    for (let i = 0; i < 3; i++) {
      const res = await tr.call('GET', `database/creds/${name}`);
      t.ok(res.status >= 400, `${name}: the creation failed (${res.status})`);
      const message = res.body.errors.join(' ');
      t.match(message, /creation statements failed: \S/, `${name}: the database's reason is kept: ${message}`);
      t.notMatch(message, /[ZQ]/, `${name}: no piece of the password as generated`);
      t.notMatch(message, /"[zq.]+"/i, `${name}: nor folded to lower case or cut at a '.'`);
    }
  }
  const leaked = tr.logLines.filter((l) => /[ZQ.]{4}|"[zq.]+"/i.test(l));
  t.same(leaked, [], 'nor in the service log');
});
