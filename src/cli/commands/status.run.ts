// The action of `pgward status`: a thin adapter over src/migrate/status, printed as a table or JSON.

import type { MigrationState, StatusReport } from '../../files/migration-status.js';
import { describeHolderInDetail } from '../../migrate/lock.js';
import type { Context } from '../context.js';
import { type Output, table } from '../output.js';

export async function run(ctx: Context): Promise<number> {
  const { getStatus } = await import('../../migrate/status.js');
  const report = await getStatus({ target: ctx.target(), source: ctx.migrations() });
  if (ctx.out.json) ctx.out.document(report);
  else printStatus(ctx.out, report);
  return report.exitCode;
}

export function stateLabel(out: Output, state: MigrationState): string {
  const { c } = out;
  switch (state) {
    case 'applied':
      return c.green('applied');
    case 'pending':
      return c.yellow('pending');
    default:
      return c.red(state);
  }
}

export function printStatus(out: Output, r: StatusReport): void {
  const { c } = out;
  out.line(
    `${c.bold(r.env ?? 'database')} ${c.dim(r.database)}  ${c.dim(`${r.framework} · ${r.trackingTable} · ${r.dir}`)}`,
  );
  if (r.entries.length === 0) {
    out.line('no migrations yet (pgward new <name> writes one)');
  } else {
    const rows = r.entries.map((e) => [
      e.version,
      e.name,
      stateLabel(out, e.state),
      e.appliedAt ? e.appliedAt.replace('T', ' ').slice(0, 19) : '',
      e.note ?? '',
    ]);
    out.line(table(['VERSION', 'NAME', 'STATE', 'APPLIED AT (UTC)', 'NOTE'], rows));
  }
  if (r.migrationLock)
    out.line(c.yellow(`migration lock held by ${describeHolderInDetail(r.migrationLock)}`));
  for (const f of r.ignoredFiles) out.warn(`ignored ${f}: not named <version>_<name>`);
  const n = r.counts;
  const attention = n.drifted + n.missing + n.outOfOrder + n.partial + n.failed;
  const summary = `${n.applied} applied, ${n.pending + n.outOfOrder} pending${attention ? `, ${attention} need attention` : ''}`;
  out.line();
  out.line(attention ? c.red(summary) : n.pending ? c.yellow(summary) : c.green(`${summary} — up to date`));
}
