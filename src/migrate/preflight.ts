// What `migrate` and `rollback` both do before their first statement: the gate (lint + policy +
// approvals), the warn pause, and the policy's backup. One implementation, so a rollback is held to
// exactly the same rules as the migration it undoes.
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import type { Target } from '../config/target.js';
import { PgwardError, UsageError } from '../errors.js';
import type { LintReport } from '../lint/index.js';
import type { MigrationFile } from './files.js';
import {
  type Approval,
  evaluateGates,
  type MigrationGate,
  readApprovals,
  recordApproval,
  withApproval,
} from './gate.js';
import { actor, type Direction, historyExists } from './history.js';

export type PreflightEvent =
  | { type: 'gate'; gates: MigrationGate[] }
  | { type: 'pause'; seconds: number }
  | { type: 'backup-start' }
  | { type: 'backup-done'; id: string; bytes: number; durationMs: number }
  | { type: 'approved'; approval: Approval };

export interface GateRunOptions {
  target: Target;
  direction: Direction;
  dryRun: boolean;
  approve: string[] | undefined;
  askApproval: ((blocked: MigrationGate[]) => Promise<string[]>) | undefined;
  /** Lint as for this PostgreSQL version (`pgward plan --pg-version`); default: the server's. */
  pgVersion?: string | undefined;
}

/** The down section seen as the section to lint: same file, lines and checksum. */
export function downAsUp(file: MigrationFile): MigrationFile {
  return { ...file, up: file.down!, down: undefined };
}

/**
 * Lints the sections the run will execute (up for migrate, down for rollback), records approvals given
 * with --approve (or typed at the prompt), and returns every gate and the ones still blocked. A dry
 * run records nothing but counts its --approve versions as approved, so it predicts the real run.
 */
export async function runGate(
  client: pg.Client,
  files: MigrationFile[],
  opts: GateRunOptions,
  emit: (e: PreflightEvent) => void,
): Promise<{ gates: MigrationGate[]; blocked: MigrationGate[]; report: LintReport | undefined }> {
  const policy = opts.target.policy;
  const env = opts.target.env;
  const linted = opts.direction === 'down' ? files.map(downAsUp) : files;
  const approvals =
    opts.dryRun && !(await historyExists(client)) ? new Map() : await readApprovals(client, opts.direction);
  const evaluated = await evaluateGates(client, linted, policy, approvals, opts.pgVersion);
  let gates = evaluated.gates;
  const approveNow = async (versions: string[]) => {
    for (const v of versions) {
      const i = gates.findIndex((g) => g.version === v);
      const gate = gates[i]!;
      const approval = opts.dryRun
        ? hypotheticalApproval(gate, env, opts.direction)
        : await recordApproval(client, gate, env, opts.direction);
      if (!opts.dryRun) emit({ type: 'approved', approval });
      gates[i] = withApproval(gate, approval, policy);
    }
  };
  for (const v of opts.approve ?? []) {
    if (!gates.some((g) => g.version === v)) {
      const down = opts.direction === 'down';
      throw new UsageError(
        down
          ? `--approve ${v}: no migration this rollback would roll back has that version`
          : `--approve ${v}: no pending migration of this run has that version`,
        `${down ? 'to roll back' : 'pending'}: ${gates.map((g) => g.version).join(', ') || 'none'}`,
      );
    }
  }
  if (opts.approve?.length) await approveNow(opts.approve);
  let blocked = gates.filter((g) => g.decision === 'blocked');
  if (!opts.dryRun && blocked.length && opts.askApproval && blocked.every((g) => g.approvable)) {
    const typed = (await opts.askApproval(blocked)).filter((v) => blocked.some((b) => b.version === v));
    await approveNow(typed);
    blocked = gates.filter((g) => g.decision === 'blocked');
    gates = [...gates];
  }
  emit({ type: 'gate', gates });
  return { gates, blocked, report: evaluated.report };
}

function hypotheticalApproval(gate: MigrationGate, env: string | undefined, direction: Direction): Approval {
  return {
    version: gate.version,
    checksum: gate.checksum,
    direction,
    approvedBy: actor(),
    approvedAt: new Date().toISOString(),
    env: env ?? null,
    findings: [],
  };
}

/** The longest pause a `warn` gate asks for; false when interrupted during it. */
export async function pauseForWarnings(
  gates: MigrationGate[],
  signal: AbortSignal | undefined,
  emit: (e: PreflightEvent) => void,
): Promise<boolean> {
  const pause = Math.max(0, ...gates.map((g) => (g.decision === 'warn' ? g.pauseSeconds : 0)));
  if (pause === 0) return true;
  emit({ type: 'pause', seconds: pause });
  return pauseFor(pause * 1000, signal);
}

/** Waits, unless the run is interrupted first; false when interrupted. */
function pauseFor(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The environment asks for a backup before any migration (or rollback) runs: take it (still holding
 * the migration lock, so nothing else migrates meanwhile). If it fails, nothing runs.
 */
export async function backupFirst(
  opts: { config?: LoadedConfig | undefined; target: Target; signal?: AbortSignal | undefined },
  direction: Direction,
  emit: (e: PreflightEvent) => void,
): Promise<string> {
  emit({ type: 'backup-start' });
  const started = performance.now();
  // Loaded only here: the backup code (and its storage clients) is not needed by most runs.
  const { createBackupForTarget } = await import('../backup/for-target.js');
  const what = direction === 'down' ? 'rollback' : 'migrate';
  try {
    // The manifest's reasons are a closed list: a rollback's backup is 'pre-migrate', labelled as such.
    const manifest = await createBackupForTarget({
      config: opts.config,
      target: opts.target,
      reason: 'pre-migrate',
      ...(direction === 'down' ? { labels: ['pre-rollback'] } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    emit({
      type: 'backup-done',
      id: manifest.id,
      bytes: manifest.archive.bytes,
      durationMs: Math.round(performance.now() - started),
    });
    return manifest.id;
  } catch (err) {
    throw new PgwardError(
      `backup before ${what} failed, so no ${direction === 'down' ? 'rollback' : 'migration'} ran: ${(err as Error).message}`,
      {
        hint: 'fix the backup (see pgward backup create), or set policy.backup_before_migrate: false for this environment',
      },
    );
  }
}
