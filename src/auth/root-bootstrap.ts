import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import type { LessorConfig } from '../config.js';
import type { Keyring } from '../crypto/keyring.js';
import type { SqlStore } from '../db/sql-store.js';
import { hashToken, newToken, type TokenService } from './tokens.js';

/**
 * The root token at start-up, in its three forms: the operator's LESSOR_ROOT_TOKEN (or
 * LESSOR_DEV_ROOT_TOKEN), dev mode's own token kept sealed in the data dir, and the token an
 * empty `lessor server` install generates once.
 */
export interface RootBootstrapDeps {
  config: Readonly<LessorConfig>;
  log: Logger;
  sql: SqlStore;
  tokens: TokenService;
  sealer: Keyring;
}

export interface RootBootstrap {
  /** The root token to show the operator once (generated on first start, or dev mode's). */
  notice?: string;
  /** Cancels a retry still waiting for the token store. */
  stop(): void;
}

/** Retry delays while the token store is unreachable (ms): doubling, so a long outage costs little. */
const RETRY = { minTimeout: 250, maxTimeout: 5000, factor: 2 };
/** install_keys row holding dev mode's root token, sealed like the other per-install secrets. */
const DEV_ROOT_KEY = 'dev-root-token';

export async function bootstrapRoot(deps: RootBootstrapDeps): Promise<RootBootstrap> {
  const { config, log, sql, tokens } = deps;
  const abort = new AbortController();
  const stop = () => abort.abort();

  if (config.rootToken) {
    const token = config.rootToken;
    const ensure = async () => {
      if ((await tokens.ensureRoot(token)) && config.mode === 'server') {
        // Revoking it is undone by the next start while the variable is set.
        log.warn('root token from LESSOR_ROOT_TOKEN created; unset the variable once admin identities exist');
      }
    };
    try {
      await ensure();
    } catch (err) {
      // Redis down at start: serve anyway (health shows it) and keep trying in the background,
      // so the token works as soon as the token store answers instead of after a restart.
      log.error({ err }, 'could not ensure the root token from LESSOR_ROOT_TOKEN; retrying until the token store answers');
      pRetry(ensure, { ...RETRY, retries: Infinity, signal: abort.signal, unref: true }).then(
        () => log.info('root token from LESSOR_ROOT_TOKEN ensured after the token store came back'),
        () => {}, // aborted at shutdown
      );
    }
    await markBootstrapped(sql, async () => {});
    return { notice: config.mode === 'dev' ? token : undefined, stop };
  }

  if (config.mode === 'dev') {
    // Dev tokens live in this process, but the root token is kept (sealed) in the data dir with
    // the configs, so a restart on the same data dir keeps the token the operator was given.
    const token = await devRootToken(sql, deps.sealer);
    await tokens.ensureRoot(token);
    const id = hashToken(token);
    tokens.onRevoked(async (ids) => {
      // A revoked dev root token stays revoked: the next start makes a new one.
      if (ids.includes(id)) await sql.query('DELETE FROM install_keys WHERE name = $1', [DEV_ROOT_KEY]);
    });
    return { notice: token, stop };
  }

  const token = newToken();
  let notice: string | undefined;
  try {
    if (await markBootstrapped(sql, () => tokens.ensureRoot(token))) {
      notice = token;
      log.warn('install bootstrapped: a root token was generated and printed once on stderr');
    }
  } catch (err) {
    log.error({ err }, 'could not bootstrap a root token (token store unreachable); the next start tries again');
  }
  return { notice, stop };
}

async function devRootToken(sql: SqlStore, sealer: Keyring): Promise<string> {
  const aad = `install_keys:${DEV_ROOT_KEY}`;
  await sql.query('INSERT INTO install_keys (name, sealed) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    DEV_ROOT_KEY,
    await sealer.sealString(newToken(), aad),
  ]);
  const { rows } = await sql.query<{ sealed: string }>('SELECT sealed FROM install_keys WHERE name = $1', [DEV_ROOT_KEY]);
  return sealer.openString(rows[0].sealed, aad);
}

/**
 * Marks the install bootstrapped and runs `bootstrap` in the same transaction: true for the one
 * caller that did it. Replicas starting together serialise on the row lock, and a failed
 * bootstrap (Redis down) rolls back, so the next start tries again instead of losing the token.
 */
async function markBootstrapped(sql: SqlStore, bootstrap: () => Promise<unknown>): Promise<boolean> {
  return sql.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `INSERT INTO install (id, install_id, bootstrapped) VALUES (1, $1, true)
       ON CONFLICT (id) DO UPDATE SET bootstrapped = true WHERE install.bootstrapped = false`,
      [randomUUID()],
    );
    if (rowCount !== 1) return false;
    await bootstrap();
    return true;
  });
}
