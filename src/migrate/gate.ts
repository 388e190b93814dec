// The safety gate of `migrate`: lint every migration of the run against the live catalog, decide
// apply / warn / blocked from the environment's policy, and honour approvals bound to the exact file
// (version + checksum) — an edited file is blocked again.
import type pg from 'pg';
import type { Policy } from '../config/target.js';
import { loadSchemaFacts } from '../db/schema-facts.js';
import {
  decideGate,
  type GateDecision,
  type LintReport,
  lintPrepared,
  prepareMigrations,
} from '../lint/index.js';
import type { Finding, Severity } from '../lint/types.js';
import type { MigrationFile } from './files.js';
import { actor, type Direction } from './history.js';

export interface GateReasonSummary {
  kind: 'destructive' | 'blocking' | 'error';
  mode: 'block' | 'warn';
  rule: string;
  severity: Severity;
  line: number;
  lock: string;
  relation: string;
  message: string;
}

export interface MigrationGate {
  version: string;
  name: string;
  file: string;
  checksum: string;
  decision: GateDecision;
  approvable: boolean;
  pauseSeconds: number;
  reasons: GateReasonSummary[];
  /** Set when an approval for this exact checksum exists. */
  approval: Approval | undefined;
  findings: Finding[];
}

export interface Approval {
  version: string;
  checksum: string;
  /** What was approved: applying the up section, or running the down section (rollback). */
  direction: Direction;
  approvedBy: string;
  approvedAt: string;
  env: string | null;
  findings: { rule: string; category: string; line: number }[];
}

/** Approvals of one direction, keyed version:checksum (an approval to apply never approves a rollback). */
export async function readApprovals(client: pg.Client, direction: Direction): Promise<Map<string, Approval>> {
  // to_jsonb: a history written by an older pgward has no direction column (all its approvals are 'up').
  const res = await client.query(
    `SELECT version, checksum, approved_by, approved_at, env, findings,
            coalesce(to_jsonb(a)->>'direction', 'up') AS direction
       FROM pgward.approvals a`,
  );
  return new Map(
    res.rows
      .filter((r) => r.direction === direction)
      .map((r) => [
        `${r.version}:${r.checksum}`,
        {
          version: r.version,
          checksum: r.checksum,
          direction,
          approvedBy: r.approved_by,
          approvedAt: new Date(r.approved_at).toISOString(),
          env: r.env,
          findings: r.findings,
        },
      ]),
  );
}

/** Records that a person approved this exact file (its current checksum) with the findings they saw. */
export async function recordApproval(
  client: pg.Client,
  gate: MigrationGate,
  env: string | undefined,
  direction: Direction,
): Promise<Approval> {
  const findings = gate.findings
    .filter((f) => f.category === 'destructive' || f.category === 'blocking')
    .map((f) => ({ rule: f.rule, category: f.category, line: f.line }));
  const res = await client.query(
    `INSERT INTO pgward.approvals (version, checksum, approved_by, env, findings, direction)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6)
     ON CONFLICT (version, checksum, direction) DO UPDATE SET approved_by = EXCLUDED.approved_by,
       approved_at = now(), env = EXCLUDED.env, findings = EXCLUDED.findings
     RETURNING approved_at`,
    [gate.version, gate.checksum, actor(), env ?? null, JSON.stringify(findings), direction],
  );
  return {
    version: gate.version,
    checksum: gate.checksum,
    direction,
    approvedBy: actor(),
    approvedAt: new Date(res.rows[0].approved_at).toISOString(),
    env: env ?? null,
    findings,
  };
}

/** Lints the files on the connection (its catalog, its server version unless pgVersion is given) and decides each gate. */
export async function evaluateGates(
  client: pg.Client,
  files: MigrationFile[],
  policy: Policy,
  approvals: Map<string, Approval>,
  pgVersion?: string,
): Promise<{ gates: MigrationGate[]; report: LintReport | undefined }> {
  if (files.length === 0) return { gates: [], report: undefined };
  // Facts are read just before deciding, from the database the migrations are about to run on.
  const input = await prepareMigrations(files);
  const schemaFacts = await loadSchemaFacts(client, input.needs);
  const report = lintPrepared(input, { schemaFacts, ...(pgVersion ? { pgVersion } : {}) });
  const gates = files.map((f, i) => {
    const findings = report.files[i]!.findings;
    const approval = approvals.get(`${f.version}:${f.checksum}`);
    const gate = decideGate(findings, policy, { approved: approval !== undefined });
    return {
      version: f.version,
      name: f.name,
      file: report.files[i]!.file,
      checksum: f.checksum,
      decision: gate.decision,
      approvable: gate.approvable,
      pauseSeconds: gate.pauseSeconds,
      reasons: gate.reasons.map((r) => ({
        kind: r.kind,
        mode: r.mode,
        rule: r.finding.rule,
        severity: r.finding.severity,
        line: r.finding.line,
        lock: r.finding.lock,
        relation: r.finding.relation,
        message: r.finding.message,
      })),
      approval,
      findings,
    };
  });
  return { gates, report };
}

/** Re-decides one gate after an approval was recorded. */
export function withApproval(gate: MigrationGate, approval: Approval, policy: Policy): MigrationGate {
  const d = decideGate(gate.findings, policy, { approved: true });
  return { ...gate, decision: d.decision, pauseSeconds: d.pauseSeconds, approval };
}
