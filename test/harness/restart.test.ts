// Private servers for fault injection: stop() really takes the server away,
// start() brings it back on the same port with the same data.
import t from 'tap';
import pg from 'pg';
import { Redis } from 'ioredis';
import { ownPostgres, ownRedis } from '../helpers/context.js';

t.test('redis stop/start keeps data', async (t) => {
  const srv = await ownRedis(t);
  const open = async () => {
    const r = new Redis(srv.url(), { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    try {
      await r.connect();
    } catch (err) {
      r.disconnect();
      throw err;
    }
    return r;
  };
  const r1 = await open();
  await r1.set('survivor', 'yes');
  r1.disconnect();
  await srv.stop();
  await t.rejects(open(), 'connections fail while stopped');
  await srv.start();
  const r2 = await open();
  t.equal(await r2.get('survivor'), 'yes', 'data back after restart (AOF)');
  r2.disconnect();
});

t.test('postgres stop/start keeps data', async (t) => {
  const srv = await ownPostgres(t);
  const port = srv.port;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: srv.url(), connectionTimeoutMillis: 5000 });
    c.on('error', () => {});
    try {
      await c.connect();
      return await c.query(sql);
    } finally {
      await c.end().catch(() => {});
    }
  };
  await run("create table survivor (v text); insert into survivor values ('yes')");
  // A client connected across the stop sees its connection die.
  const held = new pg.Client({ connectionString: srv.url() });
  held.on('error', () => {});
  await held.connect();
  await srv.stop();
  await t.rejects(held.query('select 1'), 'open connection broken by stop()');
  await t.rejects(run('select 1'), 'new connections fail while stopped');
  await srv.start();
  t.equal(srv.port, port, 'same port');
  t.same((await run('select v from survivor')).rows, [{ v: 'yes' }], 'data back after restart');
});
