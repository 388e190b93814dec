// `pgward exec -- <command>`: a one-off script (a data fix, an import) run behind the statement guard.
import type { Command } from 'commander';
import { action } from '../context.js';

export interface ExecFlags {
  approve?: string;
  timeout?: string;
  verbose?: boolean;
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description(
      'run a one-off command (a data fix, an import script) with its database connections behind the guard',
    )
    .argument('<command...>', 'the command and its arguments, after -- (run directly, no shell)')
    .option(
      '--approve <fingerprints>',
      'let through exactly these refused statements (comma-separated fingerprints a refusal printed)',
    )
    .option(
      '--timeout <duration>',
      'whole-run limit (default: the policy’s migration_timeout; "off" for none)',
    )
    .option('-v, --verbose', 'print every statement as it is sent to the server')
    .usage('--env <name> [--approve <fp>[,…]] [--timeout <duration>] [--json] -- <command> [args…]')
    .addHelpText(
      'after',
      `
The command gets DATABASE_URL and PG* pointing at the guard (a one-time password on loopback); the real
URL never reaches it. Exit codes: 0 the command succeeded · 6 the guard refused a statement · 1 the
command failed or went over the timeout · 130/143 interrupted.`,
    )
    .action(
      action(async (ctx, argv: string[], flags: ExecFlags) =>
        (await import('./exec.run.js')).run(ctx, argv, flags, process.argv),
      ),
    );
}
