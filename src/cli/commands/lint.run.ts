// The work behind `pgward lint`, loaded only when that command runs (the analysis library is heavy).
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { describeNonSql, foreignMigrationFiles } from '../../frameworks/folder-contents.js';
import { expandPaths, lintPrepared, preparePaths, reachesThreshold } from '../../lint/index.js';
import type { Context } from '../context.js';
import type { LintFlags } from './lint.js';

export async function runLint(ctx: Context, paths: string[], flags: LintFlags): Promise<number> {
  // Schema facts only when a database was named explicitly: lint must work offline in CI.
  const url = ctx.flags.env || ctx.flags.url ? ctx.target().url : undefined;
  const targets = paths.length ? paths : [ctx.migrations().dir];
  assertSqlToLint(targets);
  const input = await preparePaths(targets, {
    down: flags.down === true,
  });
  // The driver is loaded only when a database is named: offline lints (CI) start ~50 ms faster without it.
  const schemaFacts = url
    ? await (await import('../../db/schema-facts.js')).readSchemaFacts(url, input.needs)
    : undefined;
  const report = lintPrepared(input, {
    ...(flags.pgVersion ? { pgVersion: flags.pgVersion } : {}),
    ...(schemaFacts ? { schemaFacts } : {}),
  });
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
