// `pgward lint [paths...]`: thin adapter over src/lint (the library does the work).
import { type Command, Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { toGithub } from '../../lint/format/github.js';
import { printHuman } from '../../lint/format/human.js';
import { toJson } from '../../lint/format/json.js';
import { lintPaths, reachesThreshold } from '../../lint/index.js';
import type { Severity } from '../../lint/types.js';
import { action } from '../context.js';

interface LintFlags {
  down?: boolean;
  pgVersion?: string;
  format: 'human' | 'json' | 'github';
  failOn: Severity;
}

export function registerLint(program: Command): void {
  program
    .command('lint')
    .description(
      'check SQL for destructive, blocking, breaking and failing changes (exit 5 on findings at --fail-on)',
    )
    .argument('[paths...]', 'files or folders (default: the migrations directory)')
    .option('--down', 'also check the down sections of migrations')
    .option(
      '--pg-version <version>',
      'target PostgreSQL version, e.g. 16 or 14.2 (default: the server with --env/--url, else the newest)',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['human', 'json', 'github']).default('human'),
    )
    .addOption(
      new Option('--fail-on <severity>', 'lowest severity that fails (exit 5)')
        .choices(['error', 'warning', 'info'])
        .default('error'),
    )
    .action(
      action(async (ctx, paths: string[], flags: LintFlags) => {
        // Catalog awareness only when a database was named explicitly: lint must work offline in CI.
        const url = ctx.flags.env || ctx.flags.url ? ctx.target().url : undefined;
        const report = await lintPaths(paths.length ? paths : [ctx.migrations().dir], {
          down: flags.down === true,
          ...(flags.pgVersion ? { pgVersion: flags.pgVersion } : {}),
          ...(url ? { url } : {}),
        });
        const format = ctx.out.json ? 'json' : flags.format;
        if (format === 'json') ctx.out.document(toJson(report));
        else if (format === 'github') for (const l of toGithub(report)) process.stdout.write(`${l}\n`);
        else printHuman(ctx.out, report);
        return reachesThreshold(report, flags.failOn) ? ExitCode.lintFindings : ExitCode.ok;
      }),
    );
}
