// `pgward migrate`: apply pending migrations under the environment's gate, lock and policy.
import type { Command } from 'commander';
import { action } from '../context.js';

export interface MigrateFlags {
  to?: string;
  dryRun?: boolean;
  allowDrift?: boolean;
  allowOutOfOrder?: boolean;
  retryPartial?: boolean;
  lockWait?: string;
  approve?: string;
  verbose?: boolean;
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      "apply pending migrations under an advisory lock: pgward's own (each in its own transaction), or in a Rails, Alembic, Django, Knex, node-pg-migrate, Prisma, golang-migrate or Flyway project that framework's own command, behind the statement-level guard",
    )
    .option('--to <version>', 'stop after this version')
    .option('--dry-run', 'print the plan and the SQL; change nothing')
    .option('--allow-drift', 'run even though applied files changed or disappeared')
    .option('--allow-out-of-order', 'apply pending migrations older than the newest applied one')
    .option(
      '--retry-partial',
      'rerun no-transaction migrations that stopped part-way, from their first statement',
    )
    .option('--lock-wait <duration>', 'how long to wait for another run holding the lock', '60s')
    .option(
      '--approve <versions>',
      'approve these blocked migrations (comma-separated versions, as status shows them); bound to the files as they are now',
    )
    .option('-v, --verbose', 'print every statement as it is sent to the server')
    .action(action(async (ctx, flags: MigrateFlags) => (await import('./migrate.run.js')).run(ctx, flags)));
}
