// The audit of guarded runs, in the database they changed: one row per run (written as 'running' before
// the command starts, so a killed run never looks finished) and one per statement it sent. Statement
// text is stored normalised by PostgreSQL's parser (literals become $1, $2…): what ran is kept, the
// values it carried (a data fix's emails, a password hash) are not.
import type pg from 'pg';
import { parser } from '../sql/parser.js';
import type { StatementRecord } from './types.js';

const AUDIT_DDL = `
CREATE SCHEMA IF NOT EXISTS pgward;
CREATE TABLE IF NOT EXISTS pgward.guard_runs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  env text,
  framework text,
  command text NOT NULL,
  run_by text NOT NULL,
  pid int NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  outcome text NOT NULL DEFAULT 'running',
  exit_code int,
  statements int
);
CREATE TABLE IF NOT EXISTS pgward.guard_statements (
  run_id bigint NOT NULL REFERENCES pgward.guard_runs (id) ON DELETE CASCADE,
  seq int NOT NULL,
  session int NOT NULL,
  version text,
  statement text NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms double precision NOT NULL,
  rows bigint,
  outcome text NOT NULL,
  error_code text,
  error text,
  warnings text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, seq)
);`;

export async function ensureAudit(client: pg.Client): Promise<void> {
  await client.query(AUDIT_DDL);
}

export interface RunStart {
  kind: 'migrate' | 'exec' | 'rehearse';
  env: string | undefined;
  framework: string | undefined;
  command: string;
  runBy: string;
}

export async function startAuditRun(client: pg.Client, run: RunStart): Promise<number> {
  const res = await client.query<{ id: string }>(
    `INSERT INTO pgward.guard_runs (kind, env, framework, command, run_by, pid)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [run.kind, run.env ?? null, run.framework ?? null, run.command, run.runBy, process.pid],
  );
  return Number(res.rows[0]!.id);
}

/** Literals replaced by placeholders; text the parser rejects is not stored at all. */
export function normalizedStatement(sql: string): string {
  try {
    return parser().normalizeSync(sql).slice(0, 4000);
  } catch {
    return '(statement not stored: PostgreSQL could not parse it)';
  }
}

export interface AuditedStatement extends StatementRecord {
  version: string | undefined;
}

export async function finishAuditRun(
  client: pg.Client,
  runId: number,
  outcome: string,
  exitCode: number | null,
  statements: readonly AuditedStatement[],
): Promise<void> {
  const rows = statements.map((s) => ({
    seq: s.seq,
    session: s.session,
    version: s.version ?? null,
    statement: normalizedStatement(s.sql),
    started_at: s.startedAt.toISOString(),
    duration_ms: s.durationMs,
    rows: s.rows,
    outcome: s.outcome,
    error_code: s.error?.code ?? null,
    error: s.error?.message.slice(0, 2000) ?? null,
    warnings: s.warnings,
  }));
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO pgward.guard_statements
         (run_id, seq, session, version, statement, started_at, duration_ms, rows, outcome, error_code, error, warnings)
       SELECT $1, seq, session, version, statement, started_at, duration_ms, rows, outcome, error_code, error,
              coalesce(warnings, '{}')
         FROM jsonb_to_recordset($2::jsonb) AS x(seq int, session int, version text, statement text,
              started_at timestamptz, duration_ms double precision, rows bigint, outcome text,
              error_code text, error text, warnings text[])`,
      [runId, JSON.stringify(rows)],
    );
    await client.query(
      `UPDATE pgward.guard_runs SET finished_at = now(), outcome = $2, exit_code = $3, statements = $4
        WHERE id = $1`,
      [runId, outcome, exitCode, statements.length],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
