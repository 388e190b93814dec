// Implementation of `pgward switch`: resolves the environment, its platform and the new database, runs
// the switch and prints what happened, the old database's keep date and the command that drops it later.
import { parseDuration } from '../../config/duration.js';
import { resolveTarget } from '../../config/target.js';
import { type SwitchResult, switchDatabase } from '../../deploy/switch.js';
import { deployBlock, switchProvider, verifySettings } from '../../deploy/switch-provider.js';
import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import type { SwitchFlags } from './switch.js';

const DEFAULT_KEEP = '7d';

export function keepMs(flag: string | undefined, configured: string | number | undefined): number {
  const text = flag ?? configured ?? DEFAULT_KEEP;
  let ms: number | null;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new UsageError(`--keep ${text}: ${(err as Error).message}`);
  }
  if (ms === null) throw new UsageError('--keep: the old database must be kept for some time (e.g. 7d)');
  return ms;
}

/** An environment name becomes its URL (read from pgward.yaml, so no password on the command line). */
function targetValue(ctx: Context, to: string | undefined): string | undefined {
  if (!to || /^postgres(ql)?:\/\//i.test(to) || !ctx.config?.raw.environments?.[to]) return to;
  return resolveTarget({ config: ctx.config, env: to }).url;
}

export async function run(ctx: Context, flags: SwitchFlags): Promise<number> {
  const target = ctx.target();
  if (!target.env)
    throw new UsageError('switch needs --env <name>: an environment of pgward.yaml with a deploy: block');
  if (flags.resolve && flags.resolve !== 'switched' && flags.resolve !== 'abandoned')
    throw new UsageError(`--resolve ${flags.resolve}: switched or abandoned`);
  if (!flags.resolve && !flags.to)
    throw new UsageError('switch needs --to <url | database id | environment>');
  const deploy = deployBlock(ctx.config, target.env);
  const sig = abortOnSignals();
  const r = await switchDatabase({
    env: target.env,
    sourceUrl: target.url,
    to: targetValue(ctx, flags.to),
    provider: switchProvider(deploy, ctx.config, target.env),
    verify: verifySettings(deploy),
    keepMs: keepMs(flags.keep, deploy.keep_old_database),
    mode: flags.tablesHash ? 'hash' : 'count',
    apply: flags.yes === true,
    readOnlySource: flags.readOnlySource === true,
    resolve: flags.resolve as 'switched' | 'abandoned' | undefined,
    config: ctx.config,
    signal: sig.signal,
    onStep: (s, d) => ctx.out.info(`· ${s}${d ? ` ${d}` : ''}`),
  }).finally(sig.dispose);
  if (ctx.out.json) ctx.out.document({ ok: true, ...r });
  else print(ctx, r);
  return 0;
}

export function print(ctx: Context, r: SwitchResult): void {
  const { c } = ctx.out;
  if (r.validation)
    ctx.out.line(
      `${c.green('validated')} ${r.toDatabase} against ${r.fromDatabase}: ${r.validation.compared} tables, ${r.validation.rows} rows, ${r.validation.mode === 'hash' ? 'counts and hashes' : 'counts'} match; schema and sequences match`,
    );
  if (r.outcome === 'switched')
    ctx.out.line(
      `${c.green('switched')} ${r.env} to ${r.toDatabase} (switch ${r.id})${r.health ? `; health ok ${r.health.consecutive} times in a row` : ''}; ${r.fromDatabase} kept until ${r.keepUntil}`,
    );
  for (const n of r.notes) ctx.out.line(`note: ${n}`);
}
