// `pgward recover --via render-pitr --at <time>`: a thin adapter over src/platform/render/pitr.ts.
import { backupSettings } from '../../backup/config.js';
import { openStorage } from '../../backup/storage.js';
import { ExitCode, UsageError } from '../../errors.js';
import { type RenderPitrValidation, recoverRenderPitr } from '../../platform/render/pitr.js';
import { redactUrl } from '../../redact.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import type { RecoverFlags } from './recover.js';
import { renderEnv } from './render.shared.js';

export function parseAt(at: string | undefined, via = 'render-pitr'): Date {
  if (!at) throw new UsageError(`--via ${via} needs --at <time>`, 'e.g. --at 2026-05-03T09:14:00Z');
  const t = at === 'now' ? Date.now() : Date.parse(at);
  if (Number.isNaN(t) || !(at === 'now' || /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(at)))
    throw new UsageError(`--at ${at} is not a time`, 'use ISO 8601 with a zone, e.g. 2026-05-03T09:14:00Z');
  return new Date(t);
}

/** The validation lines shared by --via render-pitr and --via neon. */
export function printValidation(ctx: Context, v: RenderPitrValidation | null): void {
  const { c } = ctx.out;
  if (!v) ctx.out.line(c.yellow('not validated (--no-validate)'));
  else if (v.ok) {
    ctx.out.line(
      c.green(
        `validated against backup ${v.backup.id} (${v.backup.startedAt}): ${v.tablesChecked} tables, none missing or smaller`,
      ),
    );
    for (const g of v.grown)
      ctx.out.line(`  ${g.table}: ${g.backupRows} → ${g.recoveredRows} rows (written after the backup)`);
    if (v.newTables.length) ctx.out.line(`  new since the backup: ${v.newTables.join(', ')}`);
  } else ctx.out.line(c.red(`validation against backup ${v.backup.id} failed: ${v.firstDifference}`));
}

export async function runRenderPitr(ctx: Context, flags: RecoverFlags): Promise<number> {
  const other = (['backup', 'drill', 'server', 'jobs'] as const).find((f) => flags[f] !== undefined);
  if (other) throw new UsageError(`--${other} is for a backup recovery, not --via render-pitr`);
  const at = parseAt(flags.at);
  const { envName, config, client } = renderEnv(ctx);
  if (!config?.postgres)
    throw new UsageError(
      `environment ${envName ?? '(none)'} names no Render Postgres: deploy.render.postgres is not set`,
      'add postgres: dpg-… under deploy.render in pgward.yaml',
    );
  const s = backupSettings(ctx.config, flags.storage);
  const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
  const sig = abortOnSignals();
  const r = await recoverRenderPitr({
    client,
    postgresId: config.postgres,
    at,
    env: envName,
    storage,
    validate: flags.validate !== false,
    signal: sig.signal,
    onStep: (step, detail) => ctx.out.info(`· ${step} ${detail}`),
  }).finally(sig.dispose);
  return printRecovery(
    ctx,
    r,
    `${ctx.out.c.green('recovered')} ${r.source} at ${r.at} into new instance ${ctx.out.c.bold(r.instance.id)} (${r.instance.name}): ${r.instance.status}`,
  );
}

/** A point-in-time recovery's report (Render PITR, Neon): exit 10 when validation failed; one JSON document with --json. */
export function printRecovery(
  ctx: Context,
  r: { url: string; validation: RenderPitrValidation | null; nextSteps: string[] },
  headline: string,
): number {
  const code = r.validation && !r.validation.ok ? ExitCode.validationFailed : ExitCode.ok;
  if (ctx.out.json) {
    ctx.out.document({ ok: code === 0, ...r, url: redactUrl(r.url) });
    return code;
  }
  ctx.out.line(headline);
  ctx.out.line(`new database: ${redactUrl(r.url)}`);
  printValidation(ctx, r.validation);
  for (const step of r.nextSteps) ctx.out.line(`next: ${step}`);
  return code;
}
