// Implementation of `pgward plan --env <name>`: the pending migrations of an environment, their findings and the gate
// decision for each. Read-only: it connects, reads history and catalog, and changes nothing.

import { readSchemaFacts } from '../../db/schema-facts.js';
import { printHuman, severityLabel } from '../../lint/format/human.js';
import { toJson } from '../../lint/format/json.js';
import { type PlanEntry, planMarkdown } from '../../lint/format/markdown.js';
import { decideGate } from '../../lint/gate.js';
import { lintPrepared, prepareMigrations } from '../../lint/index.js';
import { loadMigrations } from '../../migrate/files.js';
import { assertUpNotEmpty } from '../../migrate/statements.js';
import { assertPgwardRunner, getStatus } from '../../migrate/status.js';
import type { Context } from '../context.js';

import type { PlanFlags } from './plan.js';

export async function plan(ctx: Context, flags: PlanFlags): Promise<number> {
  const target = ctx.target();
  const source = ctx.migrations();
  const status = await getStatus({ target, source });
  assertPgwardRunner(status.framework, 'plan');
  const pending = new Set(status.pending.map((p) => p.version));
  const files = loadMigrations(source.dir).files.filter((f) => pending.has(f.version));
  const input = await prepareMigrations(files);
  const report = lintPrepared(input, {
    schemaFacts: await readSchemaFacts(target.url, input.needs),
    ...(flags.pgVersion ? { pgVersion: flags.pgVersion } : {}),
  });
  // plan predicts migrate: a file migrate would refuse is refused here too
  for (const [i, f] of files.entries()) assertUpNotEmpty(f, report.files[i]!.statements);
  const entries: PlanEntry[] = files.map((f, i) => ({
    version: f.version,
    name: f.name,
    lint: report.files[i]!,
    gate: decideGate(report.files[i]!.findings, target.policy),
  }));
  const env = target.env ?? 'database';
  const format = ctx.out.json ? 'json' : flags.format;
  if (format === 'markdown') process.stdout.write(`${planMarkdown(env, entries)}\n`);
  else if (format === 'json') {
    const lint = toJson(report);
    ctx.out.document({
      env,
      policy: {
        destructive: target.policy.destructive,
        blocking: target.policy.blocking,
        pauseSeconds: target.policy.pauseSeconds,
      },
      migrations: entries.map((e, i) => ({
        version: e.version,
        name: e.name,
        file: e.lint.file,
        decision: e.gate.decision,
        approvable: e.gate.approvable,
        pauseSeconds: e.gate.pauseSeconds,
        reasons: e.gate.reasons.map((r) => ({
          kind: r.kind,
          mode: r.mode,
          rule: r.finding.rule,
          line: r.finding.line,
        })),
        findings: lint.files[i]!.findings,
      })),
      summary: report.summary,
    });
  } else printPlan(ctx, env, entries, report);
  return 0;
}

function printPlan(
  ctx: Context,
  env: string,
  entries: PlanEntry[],
  report: Parameters<typeof printHuman>[1],
): void {
  const { out } = ctx;
  const { c } = out;
  out.line(
    `${c.bold(`plan for ${env}`)}: ${entries.length} pending migration${entries.length === 1 ? '' : 's'}`,
  );
  if (entries.length === 0) return;
  printHuman(out, report);
  out.line();
  for (const e of entries) {
    const d = e.gate.decision;
    const label =
      d === 'apply'
        ? c.green('apply')
        : d === 'warn'
          ? c.yellow(`warn${e.gate.pauseSeconds ? ` (pause ${e.gate.pauseSeconds}s)` : ''}`)
          : c.red(e.gate.approvable ? 'blocked until approved' : 'blocked: will fail');
    out.line(`${e.version}_${e.name}  ${label}`);
    for (const r of e.gate.reasons)
      out.line(
        `  ${severityLabel(out, r.finding.severity)} ${r.kind} (${r.mode}): ${r.finding.rule} at line ${r.finding.line}`,
      );
    if (d === 'blocked' && e.gate.approvable)
      out.line(`  ${c.dim('approve:')} pgward migrate --env ${env} --approve ${e.version}`);
  }
}
