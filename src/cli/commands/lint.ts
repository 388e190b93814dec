// `pgward lint [paths...]`: thin adapter over src/lint (the library does the work).
import { type Command, Option } from 'commander';
import type { Severity } from '../../lint/types.js';
import { action } from '../context.js';

export interface LintFlags {
  down?: boolean;
  pgVersion?: string;
  format: 'human' | 'json' | 'github';
  failOn: Severity;
  jobs?: string;
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
    .option(
      '--jobs <n>',
      'analyse files on n threads (offline lints of many files; "auto": one per processor; default 1)',
    )
    .action(
      action(async (ctx, paths: string[], flags: LintFlags) => {
        // The parser's WebAssembly compiles on V8's background threads while the analyser's modules
        // load (measured: ~3 % of a 5,000-statement lint); a failure is lint's to report.
        import('../../sql/parser.js').then((m) => m.ensureParser()).catch(() => {});
        return (await import('./lint.run.js')).runLint(ctx, paths, flags);
      }),
    );
}
