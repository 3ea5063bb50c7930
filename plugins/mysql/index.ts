/**
 * The `mysql` engine (MySQL 8 and MariaDB): short-lived users from role templates, mounted at
 * `database/` with Vault's database secrets engine API (plugin_name mysql-database-plugin).
 */
import { sqlDatabasePlugin } from '../sdk/database-plugin.js';
import type { SqlEngineSpec } from '../sdk/sql-engine.js';
import { MysqlBackend, mysqlDialect } from './backend.js';

/**
 * 32 characters: MySQL 8's limit for user names (MariaDB allows more; one template fits both).
 * "v-" + 4 + "-" + 4 + "-" + 20 random = 32, so a name always keeps its 20 random characters.
 */
export const MYSQL_DEFAULT_USERNAME_TEMPLATE =
  '{{ printf "v-%s-%s-%s" (.DisplayName | truncate 4) (.RoleName | truncate 4) (random 20) | truncate 32 }}';

/** MySQL has no VALID UNTIL; {{expiration}} is offered for statements that want it (DATETIME, UTC). */
export function mysqlExpiration(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

export const mysqlSpec: SqlEngineSpec = {
  dialect: mysqlDialect,
  maxUsernameLength: 32,
  defaultUsernameTemplate: MYSQL_DEFAULT_USERNAME_TEMPLATE,
  formatExpiration: mysqlExpiration,
  open: (config, _url, log) => new MysqlBackend(config, log),
};

const names = ['mysql-database-plugin', 'mysql', 'mariadb', 'mysql-legacy-database-plugin', 'mysql-aurora-database-plugin', 'mysql-rds-database-plugin'];

const plugin = sqlDatabasePlugin({ type: 'mysql', names, spec: mysqlSpec });

export default plugin;
