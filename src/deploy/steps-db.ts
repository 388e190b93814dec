// The database steps after preflight: the pre-deploy backup (labelled with the deploy id) and the
// migration, through `migrate` (pgward's files) or `migrateFramework` (another framework's command
// behind the guard). A blocked or failed migration ends the pipeline before the platform deploy.
import type { LoadedConfig } from '../config/load.js';
import { ExitCode } from '../errors.js';
import { formatDuration, MS } from '../format/units.js';
import type { PipelineContext, StepOutcome } from './types.js';

function backupsConfigured(config: LoadedConfig | undefined): boolean {
  return Boolean((config?.raw as { backups?: unknown } | undefined)?.backups);
}

/**
 * A backup before every deploy when pgward.yaml has a backups: section; otherwise only when migrations
 * are pending and the policy says backup_before_migrate (as `migrate` would take one).
 */
export async function backupStep(ctx: PipelineContext): Promise<StepOutcome> {
  const { config, target } = ctx.opts;
  const pending = ctx.rec.migrations.length;
  const wanted = backupsConfigured(config) || (pending > 0 && target.policy.backupBeforeMigrate);
  if (!wanted)
    return {
      status: 'skipped',
      detail: pending
        ? 'no backups: section and policy backup_before_migrate is off'
        : 'no backups: section and nothing to migrate',
    };
  const { createBackupForTarget } = await import('../backup/for-target.js');
  const m = await createBackupForTarget({
    config,
    target,
    reason: 'pre-deploy',
    labels: [`deploy:${ctx.rec.id}`],
    ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}),
  });
  ctx.rec.backupId = m.id;
  return { status: 'done', detail: `backup ${m.id} (label deploy:${ctx.rec.id})` };
}

/** The target `migrate` gets: the deploy's backup stands for the policy's pre-migrate one. */
function migrateTarget(ctx: PipelineContext) {
  const t = ctx.opts.target;
  return ctx.rec.backupId ? { ...t, policy: { ...t.policy, backupBeforeMigrate: false } } : t;
}

export async function migrateStep(ctx: PipelineContext): Promise<StepOutcome> {
  const list = ctx.rec.migrations;
  if (!list.length) return { status: 'skipped', detail: 'nothing to migrate' };
  if (ctx.framework !== 'pgward' && ctx.framework !== 'dbmate') return migrateWithFramework(ctx);
  const { migrate } = await import('../migrate/migrate.js');
  const r = await migrate({
    target: migrateTarget(ctx),
    source: ctx.opts.source,
    config: ctx.opts.config,
    // Exactly what preflight planned, even if files were added since (a resumed deploy included).
    to: list[list.length - 1]!.version,
    approve: ctx.opts.approve,
    lockWaitMs: ctx.opts.lockWaitMs,
    signal: ctx.opts.signal,
    onEvent: (e) => {
      if (e.type === 'applied')
        ctx.emit({
          type: 'progress',
          step: 'migrate',
          detail: `applied ${e.version}_${e.name} in ${formatDuration(e.durationMs, MS)}`,
        });
    },
  });
  const applied = `${r.applied.length} applied`;
  if (r.blocked.length) {
    ctx.blocked = r.blocked.map((b) => b.version);
    return {
      status: 'failed',
      detail: `blocked by the gate: ${ctx.blocked.join(', ')}`,
      exitCode: ExitCode.gateBlocked,
    };
  }
  if (r.failure) {
    const f = r.failure;
    return {
      status: 'failed',
      detail: `${applied}; ${f.version}_${f.name} failed at ${f.file}:${f.line}: ${f.message}`,
      exitCode: f.reason === 'interrupted' ? ExitCode.interrupted : ExitCode.deployFailed,
    };
  }
  if (r.exitCode !== ExitCode.ok)
    return {
      status: 'failed',
      detail: `${applied}; migrate ended with exit ${r.exitCode}`,
      exitCode: r.exitCode,
    };
  return {
    status: 'done',
    detail: r.applied.length ? applied : 'nothing left to apply (applied before a restart)',
  };
}

async function migrateWithFramework(ctx: PipelineContext): Promise<StepOutcome> {
  const { migrateFramework } = await import('../migrate/framework-migrate.js');
  const r = await migrateFramework({
    target: migrateTarget(ctx),
    source: ctx.opts.source,
    config: ctx.opts.config,
    approve: ctx.opts.approve,
    lockWaitMs: ctx.opts.lockWaitMs,
    signal: ctx.opts.signal,
    ...(ctx.opts.cwd ? { root: ctx.opts.cwd } : {}),
    onOutput: () => {},
  });
  const applied = `${r.framework}: ${r.applied.length} applied`;
  if (r.blocked.length) {
    ctx.blocked = r.blocked;
    return {
      status: 'failed',
      detail: `blocked by the gate: ${r.blocked.join(', ')}`,
      exitCode: ExitCode.gateBlocked,
    };
  }
  if (r.refused)
    return {
      status: 'failed',
      detail: `${applied}; the guard refused: ${r.refused.message}`,
      exitCode: ExitCode.deployFailed,
    };
  if (r.exitCode !== ExitCode.ok) {
    const how = r.command
      ? `exit ${r.command.exitCode}${r.command.timedOut ? ' (timed out)' : ''}`
      : `exit ${r.exitCode}`;
    return {
      status: 'failed',
      detail: `${applied}; the migration command failed: ${how}`,
      exitCode: ExitCode.deployFailed,
    };
  }
  return { status: 'done', detail: applied };
}
