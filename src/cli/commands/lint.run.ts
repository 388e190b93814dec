// The work behind `pgward lint`, loaded only when that command runs (the analysis library is heavy).
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { describeNonSql, foreignMigrationFiles } from '../../frameworks/folder-contents.js';
import { expandPaths, lintPaths, lintPrepared, preparePaths, reachesThreshold } from '../../lint/index.js';
import type { Context } from '../context.js';
import type { LintFlags } from './lint.js';

export async function runLint(ctx: Context, paths: string[], flags: LintFlags): Promise<number> {
  // Schema facts only when a database was named explicitly: lint must work offline in CI.
  const url = ctx.flags.env || ctx.flags.url ? ctx.target().url : undefined;
  const targets = paths.length ? paths : [ctx.migrations().dir];
  assertSqlToLint(targets);
  const report = await lintTargets(targets, url, flags);
  const format = ctx.out.json ? 'json' : flags.format;
  // Only the formatter asked for is loaded.
  if (format === 'json') ctx.out.document((await import('../../lint/format/json.js')).toJson(report));
  else if (format === 'github')
    for (const l of (await import('../../lint/format/github.js')).toGithub(report))
      process.stdout.write(`${l}\n`);
  else (await import('../../lint/format/human.js')).printHuman(ctx.out, report);
  return reachesThreshold(report, flags.failOn) ? ExitCode.lintFindings : ExitCode.ok;
}

/**
 * Offline, file by file (each file's trees dropped once analysed); with a database, everything is parsed
 * first so that the facts of every name are loaded in one go.
 */
async function lintTargets(targets: string[], url: string | undefined, flags: LintFlags) {
  const analysis = flags.pgVersion ? { pgVersion: flags.pgVersion } : {};
  const down = flags.down === true;
  // lintPaths uses the threads only when there are enough files to share.
  if (!url) return lintPaths(targets, { ...analysis, down, workers: jobs(flags.jobs) });
  const input = await preparePaths(targets, { down });
  // The driver is loaded only when a database is named: offline lints (CI) start ~50 ms faster without it.
  const { readSchemaFacts } = await import('../../db/schema-facts.js');
  return lintPrepared(input, { ...analysis, schemaFacts: await readSchemaFacts(url, input.needs) });
}

function jobs(flag: string | undefined): number {
  if (flag === undefined) return 1;
  if (flag === 'auto') return availableParallelism();
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new UsageError(`--jobs must be a whole number from 1 to 64 or "auto", not "${flag}"`);
  return n;
}

/**
 * A folder that holds no .sql file is refused (exit 2), saying what it holds: lint never reports "no
 * problems found" having checked nothing (a Rails db/migrate, an Alembic versions/ folder, an empty one).
 */
function assertSqlToLint(paths: string[]): void {
  for (const p of paths) {
    let folder = false;
    try {
      folder = statSync(p).isDirectory();
    } catch {
      continue; // expandPaths reports a missing path
    }
    if (!folder || expandPaths([p]).length > 0) continue;
    const shown = relative(process.cwd(), p) || '.';
    if (foreignMigrationFiles(p).length > 0)
      throw new UsageError(`${shown} holds ${describeNonSql(p)}, no SQL: check them with \`pgward plan\``);
    throw new UsageError(
      `${shown} holds no .sql files: nothing was linted`,
      'name the folder or files of your SQL migrations',
    );
  }
}
