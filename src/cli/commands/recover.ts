// `pgward recover --env <name> [--backup <id>] [--drill]`: disaster recovery into a new database.
import { type Command, Option } from 'commander';
import { action } from '../context.js';

export interface RecoverFlags {
  backup?: string;
  drill?: boolean;
  server?: string;
  storage?: string;
  jobs?: string;
  /** commander turns --no-owner into owner: false */
  owner?: boolean;
  /** `render-pitr`: Render's point-in-time recovery into a new instance instead of a backup restore. */
  via?: 'render-pitr' | 'neon';
  /** With --via render-pitr: the time to recover to (ISO 8601). */
  at?: string;
  /** commander turns --no-validate into validate: false */
  validate?: boolean;
  /** With --via neon: point the environment's app at the validated branch (the switch flow). */
  switch?: boolean;
  /** With --switch: keep the old database this long. */
  keep?: string;
}

export function registerRecover(program: Command): void {
  program
    .command('recover')
    .description(
      'restore the latest drilled backup into a new timestamp-named database, validated; --drill measures it and drops it',
    )
    .option('--backup <id>', 'restore this backup (default: the newest whose restore drill passed)')
    .option(
      '--drill',
      'recovery test: restore, validate, drop, record the measured recovery time in the catalog',
    )
    .option('--server <url>', "server for the new database (default: the environment's)")
    .option('--storage <url>', 'backup storage (overrides backups.storage)')
    .option('-j, --jobs <n>', 'parallel restore jobs (default: backups.restore.jobs)')
    .option('--no-owner', 'do not restore object owners (when the roles do not exist on the server)')
    .addOption(
      new Option('--via <method>', 'recover through the platform instead of a backup').choices([
        'render-pitr',
        'neon',
      ]),
    )
    .option(
      '--at <time>',
      'with --via render-pitr or neon: the point in time (ISO 8601, e.g. 2026-05-03T09:14:00Z)',
    )
    .option('--no-validate', 'with --via render-pitr or neon: do not compare with the latest proven backup')
    .option(
      '--switch',
      "with --via neon: once the branch is validated, point the environment's app at it (as pgward switch --yes does)",
    )
    .option(
      '--keep <duration>',
      'with --switch: keep the old database this long (default: deploy.keep_old_database, 7d)',
    )
    .action(action(async (ctx, flags: RecoverFlags) => (await import('./recover.run.js')).run(ctx, flags)));
}
