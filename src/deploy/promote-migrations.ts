// "Staging has applied exactly the migrations production would have after applying its pending ones":
// both databases are read through the same tracker (pgward's history or the framework's own table, via
// src/migrate's status) against the same migration files. Production after its deploy = what it applied
// + what is pending. Checksums: where the tracker records them, a migration whose recorded checksum is
// not the file's shows as `drifted`; both sides are compared with the same file, so two clean reports
// mean equal checksums, and any drift on either side is a reason to refuse.
import type { MigrationStatusEntry, StatusReport } from '../files/migration-status.js';

const APPLIED = new Set(['applied', 'drifted', 'missing', 'partial']);
const WOULD_APPLY = new Set(['pending', 'out-of-order', 'failed']);
const TROUBLE = new Set(['drifted', 'missing', 'partial', 'failed', 'out-of-order']);

const label = (e: MigrationStatusEntry) => `${e.version}${e.name ? `_${e.name}` : ''}`;

function trouble(envName: string, r: StatusReport): string[] {
  return r.entries
    .filter((e) => TROUBLE.has(e.state))
    .map((e) => `${envName}: ${label(e)} is ${e.state}${e.note ? ` (${e.note})` : ''}`);
}

/** One line per difference; empty when staging applied exactly what production will have. */
export function compareMigrations(
  from: { env: string; report: StatusReport },
  to: { env: string; report: StatusReport },
): string[] {
  const reasons: string[] = [];
  if (from.report.framework !== to.report.framework)
    reasons.push(
      `${from.env} is tracked by ${from.report.framework}, ${to.env} by ${to.report.framework}: not the same migrations`,
    );
  const after = new Map<string, MigrationStatusEntry>();
  for (const e of to.report.entries)
    if (APPLIED.has(e.state) || WOULD_APPLY.has(e.state)) after.set(e.version, e);
  const applied = new Map<string, MigrationStatusEntry>();
  for (const e of from.report.entries) if (APPLIED.has(e.state)) applied.set(e.version, e);
  for (const [v, e] of after)
    if (!applied.has(v))
      reasons.push(
        `${from.env} has not applied ${label(e)}, which ${to.env} ${WOULD_APPLY.has(e.state) ? 'would apply' : 'has'}`,
      );
  for (const [v, e] of applied)
    if (!after.has(v)) reasons.push(`${from.env} applied ${label(e)}, which ${to.env} would not have`);
  reasons.push(...trouble(from.env, from.report), ...trouble(to.env, to.report));
  return reasons;
}
