// `pgward doctor --env <name>`: the health report (checks pass / warn / fail). Exit 0, or 8 when a check
// fails (or warns, with --fail-on warn).
import { type Command, Option } from 'commander';
import { action } from '../context.js';

export interface DoctorFlags {
  failOn: 'fail' | 'warn';
  verbose?: boolean;
  backups?: boolean;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'health report: connections, locks, vacuum, wraparound, replication, migrations, backups (exit 8 on failure)',
    )
    .addOption(
      new Option('--fail-on <level>', 'exit 8 when a check reaches this level')
        .choices(['fail', 'warn'])
        .default('fail'),
    )
    .option('-v, --verbose', 'show the details of passing checks too')
    .option('--no-backups', 'do not read the backup catalog')
    .action(action(async (ctx, flags: DoctorFlags) => (await import('./doctor.run.js')).doctor(ctx, flags)));
}
