// `pgward recover --via neon --at <time> --switch`: the recovered database (a Neon branch at a time) is
// handed to the switch flow of `pgward switch` (platform step, health verification, the app pointed back
// when either fails, recorded in both databases) — only after the recovery's own validation against the
// newest proven backup passed. It is not compared with the environment's current database (the switch's
// usual rule): the point of a recovery is that the current one is damaged or lost.
import { ExitCode, PgwardError } from '../errors.js';
import type { RecoveryValidation } from '../platform/recovery-validation.js';
import { type SwitchOptions, type SwitchResult, switchDatabase } from './switch.js';

export interface RecoveredDatabase {
  /** Its direct URL (a secret: redacted wherever it is shown). */
  url: string;
  /** What it is, for messages: `Neon branch pgward-recover-…`. */
  label: string;
  /** The recovery's validation against its proven backup; null when it was skipped. */
  validation: RecoveryValidation | null;
}

export type RecoverSwitchOptions = Omit<SwitchOptions, 'to' | 'apply' | 'validatedBy' | 'resolve'>;

/**
 * Points the environment's app at a recovered database through `pgward switch`'s flow; refuses (exit 10,
 * nothing touched) unless the recovery was validated and passed.
 *
 * @example
 * ```ts
 * import { recoverViaNeon, switchToRecovered } from 'pgward';
 * declare const recovery: Awaited<ReturnType<typeof recoverViaNeon>>;
 * declare const provider: Parameters<typeof switchToRecovered>[1]['provider']; // the environment's platform
 * const r = await switchToRecovered(
 *   { url: recovery.url, label: `Neon branch ${recovery.branch.name}`, validation: recovery.validation },
 *   { env: 'production', sourceUrl: process.env.DATABASE_URL!, provider,
 *     verify: { healthUrl: 'https://app.example/healthz', checks: 3, intervalMs: 2000, timeoutMs: 120000 },
 *     keepMs: 7 * 86_400_000 },
 * );
 * console.log(r.outcome, r.toDatabase);
 * ```
 */
export async function switchToRecovered(
  db: RecoveredDatabase,
  o: RecoverSwitchOptions,
): Promise<SwitchResult> {
  const v = db.validation;
  if (!v)
    throw new PgwardError(`refusing to switch ${o.env} to ${db.label}: it was not validated`, {
      exitCode: ExitCode.validationFailed,
      hint: 'recover without --no-validate (a proven backup is needed), or switch by hand after checking it',
    });
  if (!v.ok)
    throw new PgwardError(
      `refusing to switch ${o.env} to ${db.label}: validation against backup ${v.backup.id} failed (${v.firstDifference})`,
      { exitCode: ExitCode.validationFailed, hint: 'inspect it; the app was not touched' },
    );
  const rule = `recovery validated against backup ${v.backup.id} (${v.tablesChecked} tables, none missing or smaller)`;
  const r = await switchDatabase({
    ...o,
    to: db.url,
    apply: true,
    validatedBy: { rule, tables: v.tablesChecked },
  });
  // the switch's own validation (against the current database) did not run: say what took its place
  r.notes.unshift(`${r.toDatabase} was not compared with ${r.fromDatabase}: ${rule}`);
  return { ...r, validation: null };
}
