/**
 * The EnginePlugin of a SQL database engine mounted at `database/` with Vault's database secrets
 * engine API. The postgres and mysql plugins differ only in their name, the plugin_name
 * spellings they accept, their SQL dialect and a few config fields; the rest is this.
 */
import {
  DATABASE_READABLE_FIELDS, DATABASE_SECRET_FIELDS, databaseConfigSchema, databaseRoleSchema, databaseRoleTtl,
  type DatabaseConfig, type DatabaseRole,
} from './database.js';
import { SqlEngine, type SqlEngineSpec } from './sql-engine.js';
import { runStaticRoleJob, staticRoleNameConflict, staticRoleRoutes } from './static-roles.js';
import type { EnginePlugin } from './types.js';

export function sqlDatabasePlugin(opts: {
  type: string;
  /** Every plugin_name spelling accepted, the canonical type included. */
  names: string[];
  spec: SqlEngineSpec;
  /** Engine-specific config fields (JSON schema properties). */
  extraConfigFields?: Record<string, unknown>;
}): EnginePlugin<DatabaseConfig, DatabaseRole> {
  return {
    type: opts.type,
    aliases: opts.names.filter((n) => n !== opts.type),
    mount: {
      path: 'database',
      configPath: 'config',
      pluginField: 'plugin_name',
      rolesPath: 'roles',
      credsPath: 'creds',
      roleConfigField: 'db_name',
      allowedRolesField: 'allowed_roles',
    },
    configSchema: databaseConfigSchema(opts.names, opts.extraConfigFields),
    roleSchema: databaseRoleSchema,
    secretConfigPaths: DATABASE_SECRET_FIELDS,
    readableConfigFields: DATABASE_READABLE_FIELDS,
    roleTtl: databaseRoleTtl,
    create: () => new SqlEngine(opts.spec),
    routes: staticRoleRoutes,
    roleNameConflict: staticRoleNameConflict,
    runJob: runStaticRoleJob,
  };
}
