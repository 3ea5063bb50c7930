import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '../../src/crypto/keyring.js';
import { resolveMasterKey } from '../../src/crypto/master-key.js';
import { sealedColumnTask } from '../../src/crypto/rewrap.js';
import { testRuntime } from '../helpers/test-runtime.js';

t.test('data sealed under term 1 reads back after sys/rotate, and the rewrap job moves it', async (t) => {
  const tr = await testRuntime(t);
  const { sealer, sql } = tr.rt;
  await sql.exec('CREATE TABLE t_secrets (name text PRIMARY KEY, sealed text)');
  const sealed = await sealer.seal(Buffer.from('hunter2'), 't_secrets:a');
  t.match(sealed, /^lsr:v1:1:/, 'sealed under term 1');
  t.notOk(sealed.includes('hunter2'));
  await sql.query('INSERT INTO t_secrets VALUES ($1, $2)', ['a', sealed]);

  const before = await tr.call('GET', 'sys/key-status');
  t.equal(before.status, 200);
  t.equal(before.body.data.term, 1);
  t.ok(Date.parse(before.body.data.install_time) > 0, 'install_time is a date');

  const rot = await tr.call('POST', 'sys/rotate');
  t.equal(rot.status, 204);
  const after = await tr.call('GET', 'sys/key-status');
  t.equal(after.body.data.term, 2);

  t.equal((await sealer.open(sealed, 't_secrets:a')).toString(), 'hunter2', 'term-1 ciphertext still opens');
  t.match(await sealer.seal(Buffer.from('x')), /^lsr:v1:2:/, 'new data sealed under term 2');

  tr.rt.rewrap.register(sealedColumnTask(sql, { table: 't_secrets', keyColumns: ['name'], column: 'sealed', aad: (r) => `t_secrets:${r.name}` }));
  await tr.rt.rewrap.runOnce();
  const { rows } = await sql.query<{ sealed: string }>('SELECT sealed FROM t_secrets');
  t.match(rows[0].sealed, /^lsr:v1:2:/, 'rewrapped to term 2');
  t.equal((await sealer.open(rows[0].sealed, 't_secrets:a')).toString(), 'hunter2');

  // A second replica of the same install sees the rotated ring.
  const replica = await testRuntime(t, { shareWith: tr });
  t.equal((await replica.rt.sealer.open(rows[0].sealed, 't_secrets:a')).toString(), 'hunter2');
  t.equal(replica.rt.sealer.status().term, 2);
});

t.test('the rewrap job reaches rows past its batch size when the first rows are already current', async (t) => {
  const tr = await testRuntime(t);
  const { sealer, sql } = tr.rt;
  await sql.exec('CREATE TABLE t_many (name text PRIMARY KEY, sealed text)');
  const old = await Promise.all(Array.from({ length: 30 }, (_, i) => sealer.seal(Buffer.from(`v${i}`), `t_many:old${i}`)));
  t.equal((await tr.call('POST', 'sys/rotate')).status, 204);
  // Current rows first, so a scan without a term filter meets only them in its first batch.
  for (let i = 0; i < 30; i++) await sql.query('INSERT INTO t_many VALUES ($1, $2)', [`new${i}`, await sealer.seal(Buffer.from(`n${i}`), `t_many:new${i}`)]);
  for (let i = 0; i < 30; i++) await sql.query('INSERT INTO t_many VALUES ($1, $2)', [`old${i}`, old[i]]);
  tr.rt.rewrap.register(sealedColumnTask(sql, { table: 't_many', keyColumns: ['name'], column: 'sealed', aad: (r) => `t_many:${r.name}` }));
  const moved: number[] = [];
  for (let pass = 0; pass < 5; pass++) moved.push(await tr.rt.rewrap.runOnce(20));
  t.same(moved.slice(0, 3), [20, 10, 0], 'two batches of 20 moved the 30 old rows, then nothing is left');
  const { rows } = await sql.query<{ name: string; sealed: string }>("SELECT name, sealed FROM t_many WHERE sealed NOT LIKE 'lsr:v1:2:%'");
  t.same(rows, [], 'every row is on term 2');
  t.equal((await sealer.open((await sql.query<{ sealed: string }>("SELECT sealed FROM t_many WHERE name = 'old7'")).rows[0].sealed, 't_many:old7')).toString(), 'v7');
});

t.test('a flipped byte in a stored ciphertext is refused loudly', async (t) => {
  const tr = await testRuntime(t);
  const { sealer } = tr.rt;
  const sealed = await sealer.seal(Buffer.from('connection password'), 'db:pg1');
  const [head, body] = [sealed.slice(0, sealed.lastIndexOf(':') + 1), sealed.slice(sealed.lastIndexOf(':') + 1)];
  const bytes = Buffer.from(body, 'base64url');
  for (const pos of [0, 13, bytes.length - 1]) {
    const flipped = Buffer.from(bytes);
    flipped[pos] ^= 0x01;
    await t.rejects(sealer.open(head + flipped.toString('base64url'), 'db:pg1'), { name: 'SealError' }, `byte ${pos}`);
  }
  await t.rejects(sealer.open(sealed, 'db:other'), { name: 'SealError' }, 'moved to another field');
  await t.rejects(sealer.open('lsr:v1:9:AAAA', 'db:pg1'), { name: 'SealError' }, 'unknown term');
  await t.rejects(sealer.open('plain text', 'db:pg1'), { name: 'SealError' }, 'not sealed');

  // A stored keyring row with a flipped byte stops the next replica from starting at all.
  await tr.rt.sql.query("UPDATE keyring SET sealed_key = overlay(sealed_key placing (CASE WHEN substr(sealed_key, 20, 1) = 'A' THEN 'B' ELSE 'A' END) from 20 for 1)");
  await t.rejects(testRuntime(t, { shareWith: tr }), /does not open this install's keyring/);
});

t.test('the wrong master key cannot open the keyring', async (t) => {
  const tr = await testRuntime(t);
  await t.rejects(
    Keyring.open(tr.rt.sql, randomBytes(32)),
    /LESSOR_MASTER_KEY does not open/,
  );
});

t.test('lessor dev without a master key generates one into the data dir, mode 0600, and says so', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lessor-mk-'));
  const notices: string[] = [];
  const key = resolveMasterKey({ mode: 'dev', dataDir }, (m) => notices.push(m));
  t.equal(key.length, 32);
  const file = join(dataDir, 'master.key');
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.match(notices[0], /master\.key/);
  t.same(resolveMasterKey({ mode: 'dev', dataDir }, (m) => notices.push(m)), key, 'reused on restart');
  t.equal(notices.length, 1, 'announced only when generated');
  t.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
  t.throws(() => resolveMasterKey({ mode: 'server', dataDir }), /required/);
});
