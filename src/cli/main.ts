#!/usr/bin/env node
// pgward CLI entry: global flags, one module per command, and a last-line guard that redacts
// every byte written to stdout/stderr (commander echoes bad arguments, which may hold a URL).
import './runtime-shims.js';
import './wasm-tiering.js';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode } from '../errors.js';
import { redact } from '../redact.js';
import { versionLine } from '../version.js';
import { registerBackup } from './commands/backup.js';
import { registerBaseline } from './commands/baseline.js';
import { registerClone } from './commands/clone.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExec } from './commands/exec.js';
import { registerImport } from './commands/import.js';
import { registerInit } from './commands/init.js';
import { registerJobs } from './commands/jobs.js';
import { registerLint } from './commands/lint.js';
import { registerMigrate } from './commands/migrate.js';
import { registerNew } from './commands/new.js';
import { registerPlan } from './commands/plan.js';
import { registerPromote } from './commands/promote.js';
import { registerRecover } from './commands/recover.js';
import { registerRehearse } from './commands/rehearse.js';
import { registerRender } from './commands/render.js';
import { registerRollback } from './commands/rollback.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';
import { registerSwitch } from './commands/switch.js';

function guardStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  // A reader that went away (`pgward … | head -1`) is not an error of the command: later output is
  // dropped, the command finishes (a migration is never cut short by a closed pipe) and exits with its
  // own code, without a stack trace.
  let readerGone = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    readerGone = true;
  });
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (readerGone) {
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }
    return write(typeof chunk === 'string' ? redact(chunk) : chunk, ...rest);
  }) as typeof stream.write;
}
guardStream(process.stdout);
guardStream(process.stderr);

export function buildProgram(): Command {
  const program = new Command('pgward')
    .description('Safe, observable changes to production PostgreSQL.')
    .version(versionLine(), '-V, --version')
    .option('-c, --config <file>', 'pgward.yaml to use (default: ./pgward.yaml or a parent directory)')
    .option(
      '-e, --env <name>',
      'environment from pgward.yaml (default: PGWARD_ENV, default_env, or the only one)',
    )
    .option('--url <url>', 'database URL (overrides the environment; default: DATABASE_URL without a config)')
    .option('--dir <path>', 'migrations directory (overrides migrations.dir)')
    .addOption(
      new Option('--framework <name>', 'migration framework whose files and table to read (default: auto)'),
    )
    .option('--json', 'print one JSON document on stdout (notices go to stderr)')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-q, --quiet', 'only errors on stderr')
    .option('-v, --verbose', 'more detail where a command has more to say (others ignore it)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .exitOverride();
  registerInit(program);
  registerNew(program);
  registerStatus(program);
  registerMigrate(program);
  registerRollback(program);
  registerBaseline(program);
  registerLint(program);
  registerPlan(program);
  registerBackup(program);
  registerClone(program);
  registerRehearse(program);
  registerExec(program);
  registerRecover(program);
  registerDeploy(program);
  registerSwitch(program);
  registerPromote(program);
  registerDoctor(program);
  registerServe(program);
  registerJobs(program);
  registerRender(program);
  registerImport(program);
  program.addHelpText(
    'after',
    `
Exit codes: 0 ok · 1 runtime error · 2 usage or config error · 3 migrations pending · 4 drift, missing,
out-of-order or partial migrations · 5 lint findings · 6 blocked by a gate or a refusal · 7 migration lock
busy · 8 doctor checks failed · 9 rehearsal over budget · 10 validation failed (clone, backup verify, switch) ·
130/143 interrupted. See README.md.`,
  );
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every parsing problem is a usage error
      process.exitCode =
        err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
          ? ExitCode.ok
          : ExitCode.usage;
      return;
    }
    throw err;
  }
}

// A promise, not a top-level await: the single executable runs this file as CommonJS
// (scripts/build-exe.mjs). An unexpected error still ends the process as an uncaught one does.
main().catch((err: unknown) => {
  process.nextTick(() => {
    throw err;
  });
});
