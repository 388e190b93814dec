// Preflight: the database is healthy (doctor), what is pending, the gate's decision on it (the same
// planning `pgward plan` and `migrate` share), each migration's backward compatibility (kept in the
// journal for the rollback policy) and, with deploy.rehearse_budget, a rehearsal on a copy.
import type { LoadedConfig } from '../config/load.js';
import { ExitCode } from '../errors.js';
import type { Finding } from '../lint/types.js';
import type { DeployMigration } from './journal.js';
import type { PipelineContext, StepOutcome } from './types.js';

/** Destructive or breaking: the code before the migration may not work against the schema after it. */
const INCOMPATIBLE = new Set(['destructive', 'breaking']);

export function compatibility(version: string, name: string, findings: Finding[]): DeployMigration {
  const bad = findings.filter((f) => INCOMPATIBLE.has(f.category));
  return {
    version,
    name,
    compatible: bad.length === 0,
    findings: bad.map((f) => ({ rule: f.rule, category: f.category, line: f.line })),
  };
}

function hasBackups(config: LoadedConfig | undefined): boolean {
  return Boolean((config?.raw as { backups?: unknown } | undefined)?.backups);
}

/** Doctor's failed checks, except pending migrations (a deploy is what applies them). */
async function doctorFailures(ctx: PipelineContext): Promise<string[]> {
  const { runDoctor } = await import('../doctor/doctor.js');
  const { target, source, config } = ctx.opts;
  const report = await runDoctor({ target, source, config, backups: hasBackups(config) });
  return report.checks
    .filter((c) => c.status === 'fail' && c.id !== 'migrations')
    .map((c) => `${c.id}: ${c.summary}`);
}

/** The pending migrations, their gate and compatibility, pgward's runner or another framework's. */
async function planPending(
  ctx: PipelineContext,
): Promise<{ migrations: DeployMigration[]; blocked: string[] }> {
  const { target, source, config } = ctx.opts;
  const approve = ctx.opts.approve;
  if (ctx.framework === 'pgward' || ctx.framework === 'dbmate') {
    const { planMigrations } = await import('../migrate/planning.js');
    const plan = await planMigrations({ target, source, config, approve });
    return {
      migrations: plan.planned.map((p) =>
        compatibility(p.version, p.name, plan.gates.find((g) => g.version === p.version)?.findings ?? []),
      ),
      blocked: plan.blocked.map((b) => b.version),
    };
  }
  const { planFramework } = await import('../migrate/framework-plan.js');
  const plan = await planFramework({ target, source, config, approve });
  return {
    migrations: plan.gates.map((g) => compatibility(g.version, g.name, g.findings)),
    blocked: plan.blocked,
  };
}

async function rehearseWithin(ctx: PipelineContext, budgetMs: number): Promise<string | undefined> {
  const { rehearse, rehearsalSettings } = await import('../rehearse/index.js');
  const { target, source, config } = ctx.opts;
  const settings = {
    ...rehearsalSettings(config, target.policy.migrationTimeoutMs),
    maxDurationMs: budgetMs,
  };
  const r = await rehearse({
    config,
    target,
    source,
    settings,
    ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}),
    onStep: (step, detail) =>
      ctx.emit({
        type: 'progress',
        step: 'preflight',
        detail: `rehearsal: ${step}${detail ? ` ${detail}` : ''}`,
      }),
  });
  if (r.ok) return undefined;
  const bad = r.migrations.filter((m) => m.verdict !== 'ok');
  return (
    bad
      .map((m) => `${m.version}: ${m.verdict}${m.reasons.length ? ` (${m.reasons.join('; ')})` : ''}`)
      .join(', ') || 'the rehearsal failed'
  );
}

export async function preflight(ctx: PipelineContext): Promise<StepOutcome> {
  const failures = await doctorFailures(ctx);
  if (failures.length)
    return { status: 'failed', detail: `doctor: ${failures.join('; ')}`, exitCode: ExitCode.checksFailed };
  const { migrations, blocked } = await planPending(ctx);
  ctx.rec.migrations = migrations;
  const incompatible = migrations.filter((m) => !m.compatible).length;
  const pending = `${migrations.length} pending${incompatible ? ` (${incompatible} not backward compatible)` : ''}`;
  if (blocked.length) {
    ctx.blocked = blocked;
    return {
      status: 'failed',
      detail: `doctor ok; ${pending}; blocked by the gate: ${blocked.join(', ')}`,
      exitCode: ExitCode.gateBlocked,
    };
  }
  let rehearsal = '';
  if (ctx.settings.rehearseBudgetMs !== undefined && migrations.length) {
    const over = await rehearseWithin(ctx, ctx.settings.rehearseBudgetMs);
    if (over)
      return {
        status: 'failed',
        detail: `doctor ok; ${pending}; rehearsal over deploy.rehearse_budget: ${over}`,
        exitCode: ExitCode.rehearsalOverBudget,
      };
    rehearsal = '; rehearsal within budget';
  }
  return { status: 'done', detail: `doctor ok; ${pending}; gate ok${rehearsal}` };
}
