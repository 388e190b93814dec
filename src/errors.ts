/** Exit codes, documented in the README. Library results carry them so the CLI and scripts agree. */
export const ExitCode = {
  ok: 0,
  runtime: 1,
  usage: 2,
  pending: 3,
  drift: 4,
  lintFindings: 5,
  gateBlocked: 6,
  lockBusy: 7,
  /** `pgward doctor`: at least one check failed (or warned, with --fail-on warn). */
  checksFailed: 8,
  /** `pgward rehearse`: every migration applied, but one went over the lock or duration budget. */
  rehearsalOverBudget: 9,
  /** `pgward clone` / `backup verify` / `recover`: the copy differs from its source or manifest. */
  validationFailed: 10,
  /** `pgward deploy`: a migration or the platform deploy failed, or a rollback did not complete; a person must look. */
  deployFailed: 11,
  /** `pgward deploy`: verification failed and the code was rolled back to the previous deploy. */
  rolledBack: 12,
  /** `pgward import`: invalid records or key collisions; nothing was written (or --skip-invalid was not given). */
  invalidInput: 13,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error meant for the user: one clear line (what, where, how to fix), no stack trace.
 * Anything thrown that is not a PgwardError is a bug or an unexpected runtime failure.
 */
export class PgwardError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  readonly details: string[];
  constructor(message: string, opts: { exitCode?: ExitCodeValue; hint?: string; details?: string[] } = {}) {
    super(message);
    this.name = 'PgwardError';
    this.exitCode = opts.exitCode ?? ExitCode.runtime;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }
}

export class UsageError extends PgwardError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
    this.name = 'UsageError';
  }
}
