// The gate before a framework's command runs: each pending migration read as the SQL its framework will
// send (src/frameworks/static), linted with that framework's execution model against the live catalog,
// and decided by the environment's policy and the approvals bound to the migration's files. What a static
// reading cannot see is said (notes) and left to the guard, which checks every statement on the wire.
import type pg from 'pg';
import type { Policy } from '../config/target.js';
import { loadSchemaFacts } from '../db/schema-facts.js';
import type { RunnableFramework } from '../frameworks/commands.js';
import { prepareStatic, readPendingMigrations } from '../frameworks/static/index.js';
import { decideGate, type GateDecision, lintPrepared } from '../lint/index.js';
import type { Finding } from '../lint/types.js';

export interface FrameworkGate {
  version: string;
  name: string;
  file: string | undefined;
  /** The framework runs it inside one transaction (as read from its files). */
  wrapped: boolean | undefined;
  decision: GateDecision;
  approved: boolean;
  findings: Finding[];
  /** What a static reading could not tell (the guard still checks those statements as they run). */
  notes: string[];
}

export interface GateInput {
  framework: RunnableFramework;
  root: string;
  dir: string;
  details?: Record<string, string> | undefined;
  url: string;
  policy: Pick<Policy, 'destructive' | 'blocking' | 'pauseSeconds' | 'lockTimeoutMs' | 'statementTimeoutMs'>;
  pending: { version: string; name: string; file: string | undefined; approved: boolean }[];
  /** Alembic and Django are read by running their own dry-run modes (a second or so): plan does, migrate may skip. */
  runTools: boolean;
  pgVersion?: string | undefined;
}

const READ_BY_TOOLS = new Set(['alembic', 'django']);

export async function frameworkGates(client: pg.Client, input: GateInput): Promise<FrameworkGate[]> {
  if (input.pending.length === 0) return [];
  if (READ_BY_TOOLS.has(input.framework) && !input.runTools)
    return input.pending.map((p) =>
      unread(p, `${input.framework} is read on the wire as it runs (pgward plan reads it ahead)`),
    );
  const migrations = await readPendingMigrations(input.framework, {
    root: input.root,
    dir: input.dir,
    pending: input.pending.map((p) => ({ version: p.version, ...(p.file ? { file: p.file } : {}) })),
    ...(input.details ? { details: input.details } : {}),
    databaseUrl: input.url,
  });
  const prepared = await prepareStatic(migrations, input.root);
  const schemaFacts = await loadSchemaFacts(client, prepared.needs);
  const report = lintPrepared(prepared, {
    schemaFacts,
    ...(input.pgVersion ? { pgVersion: input.pgVersion } : {}),
  });
  const byVersion = new Map(report.files.map((f) => [f.version, f.findings]));
  return input.pending.map((p) => {
    const m = migrations.find((x) => x.version === p.version);
    const findings = (byVersion.get(p.version) ?? []).filter((f) => !setByGuard(f.rule, input.policy));
    // The gate decides on what the policy governs; a predicted failure ('error') is shown, not enforced:
    // the server will refuse it anyway, and a static reading must never block a run it misread.
    const governed = findings.filter((f) => f.category === 'destructive' || f.category === 'blocking');
    const gate = decideGate(governed, input.policy, { approved: p.approved });
    return {
      version: p.version,
      name: p.name,
      file: p.file,
      wrapped: m?.wrapped,
      decision: gate.decision,
      approved: p.approved,
      findings,
      notes: m?.notes ?? [],
    };
  });
}

/** The guard forces the policy's timeouts on every session: findings asking for them do not apply. */
function setByGuard(rule: string, policy: GateInput['policy']): boolean {
  if (rule === 'require-lock-timeout') return policy.lockTimeoutMs !== null;
  if (rule === 'require-statement-timeout') return policy.statementTimeoutMs !== null;
  return false;
}

function unread(p: GateInput['pending'][number], note: string): FrameworkGate {
  return {
    version: p.version,
    name: p.name,
    file: p.file,
    wrapped: undefined,
    decision: 'apply',
    approved: p.approved,
    findings: [],
    notes: [note],
  };
}
