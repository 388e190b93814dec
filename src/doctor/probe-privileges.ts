// What a database owner on a managed platform (Render, Neon, RDS) may not see: without superuser or
// pg_read_all_stats, pg_stat_activity, pg_stat_statements and pg_stat_replication show other users'
// sessions without their query, state or timing. The checks built on them still run on what is visible
// and say so, so a passing check is never read as "nothing slow anywhere" (docs/connections.md).

import type { CheckId } from '../config/sections/doctor.js';
import { type Q, rows } from './sql.js';
import type { CheckResult } from './types.js';

/** The checks whose view hides other users' rows from an unprivileged user. */
export const STATS_CHECKS: readonly CheckId[] = [
  'idle_in_transaction',
  'long_queries',
  'blocking_locks',
  'replication_lag',
  'top_queries',
];

export const PARTIAL_NOTE = "only this user's sessions are visible: needs pg_read_all_stats";

/** Whether the current user reads every session's statistics (superuser or pg_read_all_stats). */
export async function readsAllStats(c: Q): Promise<boolean> {
  const r = await rows<{ ok: boolean }>(
    c,
    `SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS ok
       FROM pg_roles WHERE rolname = current_user`,
  );
  return r[0]?.ok !== false;
}

/** Marks the statistics checks as partial: a pass becomes a skip with the reason, a finding stays. */
export function markPartial(checks: CheckResult[]): void {
  for (const [i, ch] of checks.entries()) {
    if (!STATS_CHECKS.includes(ch.id)) continue;
    checks[i] =
      ch.status === 'pass'
        ? { ...ch, status: 'skip', summary: `${ch.summary} (${PARTIAL_NOTE})` }
        : { ...ch, summary: `${ch.summary} (${PARTIAL_NOTE})` };
  }
}
