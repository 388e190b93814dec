// The work behind `pgward lint`, loaded only when that command runs (the analysis library is heavy).
import { ExitCode } from '../../errors.js';
import { lintPrepared, preparePaths, reachesThreshold } from '../../lint/index.js';
import type { Context } from '../context.js';
import type { LintFlags } from './lint.js';

export async function runLint(ctx: Context, paths: string[], flags: LintFlags): Promise<number> {
  // Schema facts only when a database was named explicitly: lint must work offline in CI.
  const url = ctx.flags.env || ctx.flags.url ? ctx.target().url : undefined;
  const input = await preparePaths(paths.length ? paths : [ctx.migrations().dir], {
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
