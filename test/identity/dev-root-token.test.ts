// `lessor dev` keeps its root token with its data dir: the token it printed works after a
// restart, and once revoked it stays revoked (the next start makes a new one).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';

const lookupSelf = async (rt: Runtime, token: string) =>
  (await rt.app.inject({ method: 'GET', url: '/v1/auth/token/lookup-self', headers: { 'x-vault-token': token } })).statusCode;

t.test('the dev root token survives a restart with the same data dir, and a revoked one does not', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lessor-dev-root-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig('dev', { LESSOR_DATA_DIR: dataDir, LESSOR_MASTER_KEY: randomBytes(32).toString('base64'), LESSOR_LOG_LEVEL: 'silent' });
  const start = async () => {
    const rt = await createRuntime(config, { log: createLogger('silent') });
    t.teardown(() => rt.close());
    return rt;
  };

  const first = await start();
  const token = first.rootTokenNotice!;
  t.match(token, /^lsr\./);
  t.equal(await lookupSelf(first, token), 200);
  await first.close();

  const second = await start();
  t.equal(second.rootTokenNotice, token, 'the same token is printed again');
  t.equal(await lookupSelf(second, token), 200, 'and works');
  const revoked = await second.app.inject({ method: 'POST', url: '/v1/auth/token/revoke-self', headers: { 'x-vault-token': token } });
  t.equal(revoked.statusCode, 204);
  await second.close();

  const third = await start();
  t.not(third.rootTokenNotice, token, 'a revoked root token is not brought back');
  t.equal(await lookupSelf(third, token), 403);
  t.equal(await lookupSelf(third, third.rootTokenNotice!), 200, 'the new one works');
});
