// The settings the guard forces on every session it relays (after the command's own startup options,
// so a framework or a script cannot lower them): the environment's lock and statement timeouts.
import type { Policy } from '../config/target.js';

/** Both settings' unit is the millisecond: a bare integer is exact (no rounding to a coarser unit). */
export function sessionSettings(
  policy: Pick<Policy, 'lockTimeoutMs' | 'statementTimeoutMs'>,
): Record<string, string> {
  const s: Record<string, string> = {};
  if (policy.lockTimeoutMs !== null) s.lock_timeout = String(policy.lockTimeoutMs);
  if (policy.statementTimeoutMs !== null) s.statement_timeout = String(policy.statementTimeoutMs);
  return s;
}
