// Implementation of `pgward plan --env <name>`: prints the library's planMigrations, the same plan
// `migrate --dry-run` computes, so both show the same pending list and decisions and exit alike
// (6 when the gate would block the run).
import { describeSummary } from '../../identity/describe.js';
import { printHuman, severityLabel } from '../../lint/format/human.js';
import { toJson } from '../../lint/format/json.js';
import { type PlanEntry, planMarkdown } from '../../lint/format/markdown.js';
import type { MigrationPlan } from '../../migrate/planning.js';
import { planMigrations } from '../../migrate/planning.js';
import type { Context } from '../context.js';
import { parseApprove, printBlocked } from './migrate.shared.js';
import type { PlanFlags } from './plan.js';

export async function plan(ctx: Context, flags: PlanFlags): Promise<number> {
  const { projectFramework } = await import('../../migrate/framework-common.js');
  const framework = await projectFramework({
    target: ctx.target(),
    source: ctx.migrations(),
    config: ctx.config,
  });
  if (framework !== 'pgward' && framework !== 'dbmate')
    return (await import('./plan.run.framework.js')).planFrameworkCommand(ctx, flags);
  const target = ctx.target();
  const result = await planMigrations({
    target,
    source: ctx.migrations(),
    pgVersion: flags.pgVersion,
    to: flags.to,
    allowDrift: flags.allowDrift === true,
    allowOutOfOrder: flags.allowOutOfOrder === true,
    retryPartial: flags.retryPartial === true,
    approve: parseApprove(flags.approve),
    config: ctx.config,
  });
  // The environment and policy are those of the database identified, as in migrate --dry-run.
  const env = result.env ?? 'database';
  const format = ctx.out.json ? 'json' : flags.format;
  if (format === 'markdown') process.stdout.write(`${planMarkdown(env, entries(result))}\n`);
  else if (format === 'json') ctx.out.document(planJson(env, result));
  else {
    printPlan(ctx, env, result);
    const identified = result.identity ? describeSummary(result.identity) : undefined;
    if (result.blocked.length) printBlocked(ctx.out, result.blocked, result.env, 'migrate', true, identified);
  }
  return result.exitCode;
}

function entries(result: MigrationPlan): PlanEntry[] {
  return result.gates.map((gate, i) => ({
    version: gate.version,
    name: gate.name,
    lint: result.lint!.files[i]!,
    gate,
  }));
}

function planJson(env: string, result: MigrationPlan) {
  const { policy } = result;
  const lint = result.lint ? toJson(result.lint) : undefined;
  return {
    ok: result.exitCode === 0,
    env,
    identity: result.identity ?? null,
    policy: {
      destructive: policy.destructive,
      blocking: policy.blocking,
      pauseSeconds: policy.pauseSeconds,
    },
    migrations: result.gates.map((g, i) => ({
      version: g.version,
      name: g.name,
      file: g.file,
      decision: g.decision,
      approvable: g.approvable,
      pauseSeconds: g.pauseSeconds,
      approval: g.approval ?? null,
      reasons: g.reasons.map((r) => ({ kind: r.kind, mode: r.mode, rule: r.rule, line: r.line })),
      findings: lint!.files[i]!.findings,
    })),
    blocked: result.blocked.map((b) => b.version),
    summary: result.lint?.summary ?? null,
    exitCode: result.exitCode,
  };
}

function printPlan(ctx: Context, env: string, result: MigrationPlan): void {
  const { out } = ctx;
  const { c } = out;
  const n = result.gates.length;
  out.line(`${c.bold(`plan for ${env}`)}: ${n} pending migration${n === 1 ? '' : 's'}`);
  if (n === 0 || !result.lint) return;
  printHuman(out, result.lint);
  out.line();
  for (const g of result.gates) {
    const d = g.decision;
    const label =
      d === 'apply'
        ? c.green('apply')
        : d === 'warn'
          ? c.yellow(`warn${g.pauseSeconds ? ` (pause ${g.pauseSeconds}s)` : ''}`)
          : c.red(g.approvable ? 'blocked until approved' : 'blocked: will fail');
    const approved = g.approval ? c.dim(` (approved by ${g.approval.approvedBy})`) : '';
    out.line(`${g.version}_${g.name}  ${label}${approved}`);
    for (const r of g.reasons)
      out.line(`  ${severityLabel(out, r.severity)} ${r.kind} (${r.mode}): ${r.rule} at line ${r.line}`);
    if (d === 'blocked' && g.approvable)
      out.line(`  ${c.dim('approve:')} pgward migrate --env ${env} --approve ${g.version}`);
  }
}
