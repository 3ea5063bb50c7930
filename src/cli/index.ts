import { Command } from 'commander';
import { ConfigError } from '../config.js';
import { runDev } from './dev.js';
import { runServer } from './server.js';
import { runMigrate } from './migrate.js';
import { agentCommand } from './agent.js';

/** `lessor <command>`: every failure the operator can fix is one line on stderr and exit 1. */
export async function main(argv = process.argv): Promise<void> {
  const program = new Command()
    .name('lessor')
    .description('dynamic-credentials broker with a Vault-compatible HTTP API')
    .showHelpAfterError();
  program.command('dev').description('run with embedded storage and a printed root token (not durable)').action(runDev);
  program.command('server').description('run against PostgreSQL and Redis from LESSOR_* variables').action(runServer);
  program.command('migrate').description('apply pending config store migrations and exit').action(runMigrate);
  program.addCommand(agentCommand());
  try {
    await program.parseAsync(argv);
  } catch (err) {
    fail(err);
  }
}

export function fail(err: unknown): never {
  if (err instanceof ConfigError) process.stderr.write(`lessor: ${err.message}\n`);
  else process.stderr.write(`lessor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
