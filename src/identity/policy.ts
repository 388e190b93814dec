// When one database is several environments at once (named staging, stamped production), the strictest
// policy wins, field by field, so that no way of naming a database lowers what protects it.
import type { GateMode, Policy } from '../config/target.js';

const GATE_RANK: Record<GateMode, number> = { allow: 0, warn: 1, block: 2 };

function stricterGate(a: GateMode, b: GateMode): GateMode {
  return GATE_RANK[a] >= GATE_RANK[b] ? a : b;
}

/**
 * Gates: block > warn > allow; backup_before_migrate: any; pause: the longest. The timing fields
 * (timeouts, retries, backoff) are not "stricter" in one direction, so they come from `timing`: the
 * policy of the first protected environment matched (else of the environment the command runs as).
 */
export function strictestPolicy(policies: Policy[], timing: Policy): Policy {
  const merged = { ...timing };
  for (const p of policies) {
    merged.destructive = stricterGate(merged.destructive, p.destructive);
    merged.blocking = stricterGate(merged.blocking, p.blocking);
    merged.pauseSeconds = Math.max(merged.pauseSeconds, p.pauseSeconds);
    merged.backupBeforeMigrate ||= p.backupBeforeMigrate;
  }
  return merged;
}
