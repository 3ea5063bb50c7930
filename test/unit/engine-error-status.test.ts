// Engine failures answer by cause: the target unreachable is a 503, the target refusing the
// request a 502, and either names the config whose target failed, however the error was thrown.
import t from 'tap';
import { atTarget, cleanEngineError, toHttpError } from '../../src/engines/engine-errors.js';
import { EngineError } from '../../plugins/sdk/index.js';

const at = { mount: 'database', config: 'pg' };

t.test('driver errors no plugin classified are mapped by cause', async (t) => {
  const raw = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
  t.equal(toHttpError(raw('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')).statusCode, 503, 'refused connection');
  t.equal(toHttpError(raw('read ECONNRESET', 'ECONNRESET')).statusCode, 503, 'reset');
  t.equal(toHttpError(raw('terminating connection due to administrator command', '57P01')).statusCode, 503, 'admin shutdown');
  t.equal(toHttpError(raw('sorry, too many clients already', '53300')).statusCode, 503, 'too many connections');
  t.equal(toHttpError(raw('Connection terminated unexpectedly')).statusCode, 503, 'connection dropped');
  t.equal(toHttpError(Object.assign(new Error('revocation took longer than 30000 ms'), { kind: 'unavailable' })).statusCode, 503, 'a timeout the core raised');
  t.equal(toHttpError(raw('syntax error at or near "NO_SUCH_OPTION"', '42601')).statusCode, 502, 'a statement the target refused');
  t.equal(toHttpError(raw('permission denied to create role', '42501')).statusCode, 502, 'a permission the target refused');
});

t.test('a 502 or 503 names the config; other answers are unchanged', async (t) => {
  const down = toHttpError(new EngineError('unavailable', 'postgres unreachable: connect ECONNREFUSED'), [], at);
  t.equal(down.statusCode, 503);
  t.equal(down.message, 'config "pg" on database/: target unavailable: postgres unreachable: connect ECONNREFUSED');
  const refused = toHttpError(cleanEngineError(new EngineError('upstream', 'postgres error 42601: syntax error'), [], at));
  t.equal(refused.statusCode, 502);
  t.match(refused.message, /^config "pg" on database\/: target failed: /, 'the config travels with a cleaned error');
  const tagged = atTarget(new EngineError('unavailable', 'mysql unreachable: ECONNREFUSED'), { mount: 'db2', config: 'maria' });
  t.match(toHttpError(tagged).message, /^config "maria" on db2\/: target unavailable/, 'or one noted where it was thrown');
  t.equal(toHttpError(new EngineError('config', 'role "x" is not allowed'), [], at).message, 'role "x" is not allowed', 'a 400 is the caller\'s and says nothing of a target');
  t.equal(toHttpError(new EngineError('not_found', 'no such user'), [], at).statusCode, 404);
});
