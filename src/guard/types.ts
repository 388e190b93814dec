// What the guard asks of its owner (which statements may pass) and what it reports back (every
// statement that ran, with its duration and outcome).

export interface StatementContext {
  /** 1-based number of the framework's connection through the guard. */
  session: number;
  /** The session is inside a transaction block (as the server last said in ReadyForQuery). */
  inTransaction: boolean;
  protocol: 'simple' | 'extended';
  /** The upstream backend's pid (for an owner that observes the session from its own connection, e.g. pg_locks). */
  backendPid?: number;
}

export type Verdict =
  | {
      action: 'forward';
      /** The message's statements, in order (for the audit; a simple Query may carry several). */
      statements: string[];
      /** Findings the policy lets through with a warning, recorded with the statement. */
      warnings: string[];
    }
  | {
      action: 'reject';
      statements: string[];
      /** Why, naming the finding (sent to the framework as the error message). */
      message: string;
      /** The exact command that approves it. */
      hint: string;
      rule: string;
    };

export interface Inspector {
  inspect(sql: string, ctx: StatementContext): Promise<Verdict>;
  /**
   * Optional fast path, called first: true = forward `sql` unchanged without calling `inspect` (for
   * statements that cannot matter), so bulk traffic costs no promise per message.
   */
  forwardsAsIs?(sql: string, ctx: StatementContext): boolean;
}

export interface StatementRecord {
  session: number;
  /** Order of execution across all sessions of the run. */
  seq: number;
  sql: string;
  startedAt: Date;
  durationMs: number;
  /** Rows affected or returned, from the command tag; null for DDL. */
  rows: number | null;
  tag: string | null;
  outcome: 'ok' | 'error' | 'rejected';
  /** SQLSTATE and message of the server's error (or of the guard's refusal). */
  error?: { code: string; message: string };
  warnings: string[];
  /** Text-format parameters of an extended-protocol statement (never stored: the tracker reads versions from them). */
  params?: (string | null)[];
  /** The session was inside a transaction block when the statement was sent. */
  inTransaction: boolean;
}
