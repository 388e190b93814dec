// The gate: a pure decision from a migration's findings and the environment's policy. `migrate` calls
// it before the first statement; `plan` shows it. No I/O here, so it is trivially testable.
import type { Policy } from '../config/target.js';
import type { Finding } from './types.js';

export type GateDecision = 'apply' | 'warn' | 'blocked';

export interface GateReason {
  kind: 'destructive' | 'blocking' | 'error';
  /** What the policy says for this kind ('block' | 'warn'); errors always block. */
  mode: 'block' | 'warn';
  finding: Finding;
}

export interface GateResult {
  decision: GateDecision;
  reasons: GateReason[];
  /** Seconds to pause before applying (warn on destructive changes in unprotected environments). */
  pauseSeconds: number;
  /** True when an approval can lift the block (it cannot for findings that make the migration fail). */
  approvable: boolean;
}

export interface GateOptions {
  /** The migration was approved (for this exact checksum): policy blocks become warnings. */
  approved?: boolean;
}

/**
 * The gate decision for one migration's findings under an environment's policy (pure, no I/O).
 *
 * @example
 * ```ts
 * import { decideGate, defaultPolicy, lintSql } from 'pgward';
 * const { findings } = await lintSql('DROP TABLE legacy;');
 * console.log(decideGate(findings, defaultPolicy(true)).decision); // 'blocked'
 * ```
 */
export function decideGate(
  findings: readonly Finding[],
  policy: Pick<Policy, 'destructive' | 'blocking' | 'pauseSeconds'>,
  opts: GateOptions = {},
): GateResult {
  const reasons: GateReason[] = [];
  for (const f of findings) {
    if (f.category === 'error' && f.severity === 'error')
      reasons.push({ kind: 'error', mode: 'block', finding: f });
    else if (f.category === 'destructive' && policy.destructive !== 'allow')
      reasons.push({ kind: 'destructive', mode: policy.destructive, finding: f });
    // Downgraded (info) blocking findings are on empty or new tables: nothing to wait for.
    else if (f.category === 'blocking' && f.severity !== 'info' && policy.blocking !== 'allow')
      reasons.push({ kind: 'blocking', mode: policy.blocking, finding: f });
  }
  const hardError = reasons.some((r) => r.kind === 'error');
  const policyBlock = reasons.some((r) => r.mode === 'block' && r.kind !== 'error');
  let decision: GateDecision = reasons.length === 0 ? 'apply' : 'warn';
  if (hardError || (policyBlock && !opts.approved)) decision = 'blocked';
  const destructiveWarn = reasons.some(
    (r) => r.kind === 'destructive' && (r.mode === 'warn' || opts.approved),
  );
  return {
    decision,
    reasons,
    pauseSeconds: decision === 'warn' && destructiveWarn ? policy.pauseSeconds : 0,
    approvable: !hardError,
  };
}
