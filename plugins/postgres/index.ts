/**
 * The `postgres` engine: short-lived PostgreSQL roles from role templates, mounted at
 * `database/` with Vault's database secrets engine API (plugin_name postgresql-database-plugin).
 */
import { sqlDatabasePlugin } from '../sdk/database-plugin.js';
import type { SqlEngineSpec } from '../sdk/sql-engine.js';
import { PgBackend, pgDialect } from './backend.js';
import { checkScramConfig, MAX_SCRAM_ITERATIONS, scramVerifier } from './scram.js';

/** Vault's default PostgreSQL template: 63 is PostgreSQL's NAMEDATALEN - 1. */
export const PG_DEFAULT_USERNAME_TEMPLATE =
  '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';

/**
 * "2026-01-02 15:04:05+00:00": what VALID UNTIL reads unambiguously whatever the server's
 * TimeZone. Rounded up to the whole second, never down: the user must not stop working before
 * its lease ends (the reaper drops it just after).
 */
export function pgExpiration(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+00:00');
}

export const pgSpec: SqlEngineSpec = {
  dialect: pgDialect,
  maxUsernameLength: 63,
  defaultUsernameTemplate: PG_DEFAULT_USERNAME_TEMPLATE,
  formatExpiration: pgExpiration,
  passwordForStatements: async (config, password) =>
    config.password_authentication === 'scram-sha-256' ? scramVerifier(password, config.scram_iterations) : password,
  checkConfig: checkScramConfig,
  // Roles have no owner column; a comment is the note PostgreSQL keeps on a role, dropped with it.
  markStatement: (username, mark) => `COMMENT ON ROLE ${pgDialect.quoteIdent(username)} IS ${pgDialect.quoteLiteral(mark)}`,
  open: (config, url, log) => new PgBackend(config, url, log),
};

const names = ['postgresql-database-plugin', 'postgres', 'postgresql'];

const plugin = sqlDatabasePlugin({
  type: 'postgres',
  names,
  spec: pgSpec,
  extraConfigFields: {
    password_authentication: { type: 'string', enum: ['password', 'scram-sha-256'] },
    scram_iterations: { type: 'integer', minimum: 1, maximum: MAX_SCRAM_ITERATIONS },
  },
});

export default plugin;
