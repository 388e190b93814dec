// The work behind `pgward lint`, loaded only when that command runs (the analysis library is heavy).
import { ExitCode } from '../../errors.js';
import { lintPaths, reachesThreshold } from '../../lint/index.js';
import type { Context } from '../context.js';
import type { LintFlags } from './lint.js';

export async function runLint(ctx: Context, paths: string[], flags: LintFlags): Promise<number> {
  // Catalog awareness only when a database was named explicitly: lint must work offline in CI.
  const url = ctx.flags.env || ctx.flags.url ? ctx.target().url : undefined;
  const report = await lintPaths(paths.length ? paths : [ctx.migrations().dir], {
    down: flags.down === true,
    ...(flags.pgVersion ? { pgVersion: flags.pgVersion } : {}),
    ...(url ? { url } : {}),
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
