// `pgward recover --via neon --at <time> [--switch]`: a thin adapter over src/platform/neon/recover.ts
// and, with --switch, src/deploy/recover-switch.ts (the switch flow, only for a branch that passed).
import { backupSettings } from '../../backup/config.js';
import { openStorage } from '../../backup/storage.js';
import { switchToRecovered } from '../../deploy/recover-switch.js';
import { deployBlock, switchProvider, verifySettings } from '../../deploy/switch-provider.js';
import { UsageError } from '../../errors.js';
import { type NeonRecoverResult, recoverViaNeon } from '../../platform/neon/recover.js';
import { redactUrl } from '../../redact.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import { neonEnv } from './neon.shared.js';
import type { RecoverFlags } from './recover.js';
import { parseAt, printRecovery } from './recover.run.render.js';
import { selectedEnv } from './render.shared.js';
import { keepMs, print as printSwitch } from './switch.run.js';

export async function runNeon(ctx: Context, flags: RecoverFlags): Promise<number> {
  const other = (['backup', 'drill', 'server', 'jobs'] as const).find((f) => flags[f] !== undefined);
  if (other) throw new UsageError(`--${other} is for a backup recovery, not --via neon`);
  const at = parseAt(flags.at, 'neon');
  const envName = selectedEnv(ctx);
  const plan = flags.switch ? switchPlan(ctx, flags, envName) : undefined;
  if (!flags.switch && flags.keep !== undefined) throw new UsageError('--keep is for --switch');
  const neon = neonEnv(ctx, envName);
  const s = backupSettings(ctx.config, flags.storage);
  const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
  const sig = abortOnSignals();
  try {
    const r = await recoverViaNeon({
      neon,
      at,
      env: envName,
      storage,
      validate: flags.validate !== false,
      signal: sig.signal,
      onStep: (step, detail) => ctx.out.info(`· ${step} ${detail}`),
    });
    const { c } = ctx.out;
    const headline = `${c.green('recovered')} ${r.source} of Neon project ${r.project} at ${r.at} into new branch ${c.bold(r.branch.name)} (${r.branch.id})`;
    if (!plan || !r.validation?.ok) {
      const shown: NeonRecoverResult & { switch?: null } = plan ? { ...r, switch: null } : r;
      const code = printRecovery(ctx, shown, headline);
      if (plan)
        ctx.out.line(`${c.yellow('not switched:')} the branch failed validation; the app was not touched`);
      return code;
    }
    return await switchTo(ctx, r, plan, headline, sig.signal);
  } finally {
    sig.dispose();
  }
}

type SwitchPlan = Omit<Parameters<typeof switchToRecovered>[1], 'signal' | 'onStep'>;

/** Everything --switch needs, checked before a branch is created (a wrong flag costs nothing). */
function switchPlan(ctx: Context, flags: RecoverFlags, env: string | undefined): SwitchPlan {
  if (!env)
    throw new UsageError('--switch needs --env <name>: an environment of pgward.yaml with a deploy: block');
  if (flags.validate === false)
    throw new UsageError(
      '--switch needs the validation: recover never switches to a branch it has not validated',
      'drop --no-validate (a proven backup is needed), or switch by hand after checking the branch',
    );
  const deploy = deployBlock(ctx.config, env);
  return {
    env,
    sourceUrl: ctx.target().url,
    provider: switchProvider(deploy, ctx.config, env),
    verify: verifySettings(deploy),
    keepMs: keepMs(flags.keep, deploy.keep_old_database),
    config: ctx.config,
  };
}

async function switchTo(
  ctx: Context,
  r: NeonRecoverResult,
  plan: SwitchPlan,
  headline: string,
  signal: AbortSignal,
): Promise<number> {
  const sw = await switchToRecovered(
    { url: r.url, label: `Neon branch ${r.branch.name}`, validation: r.validation },
    { ...plan, signal, onStep: (s, d) => ctx.out.info(`· ${s}${d ? ` ${d}` : ''}`) },
  );
  const recovery = { ...r, nextSteps: [] };
  if (ctx.out.json) {
    ctx.out.document({ ok: true, ...recovery, url: redactUrl(r.url), switch: sw });
    return 0;
  }
  printRecovery(ctx, recovery, headline);
  printSwitch(ctx, sw);
  return 0;
}
