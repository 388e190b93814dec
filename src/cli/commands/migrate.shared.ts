// What `migrate`, `rollback` and `baseline` share: their common flags (--lock-wait, --approve) and the
// events and outcomes they print the same way (gates, approvals, backups, locks, failures, blocks).
import { createInterface } from 'node:readline/promises';
import { parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors.js';
import { formatBytes, formatDuration, MS, SECONDS } from '../../format/units.js';
import type { MigrationGate } from '../../migrate/gate.js';
import { describeHolder } from '../../migrate/lock.js';
import type { MigrateEvent } from '../../migrate/migrate.js';
import type { RollbackEvent } from '../../migrate/rollback.js';
import type { MigrationFailure } from '../../migrate/runner.js';
import type { Output } from '../output.js';

export function lockWaitMs(value: string | undefined): number {
  if (value === undefined) return 60_000;
  try {
    return parseDuration(value) ?? 0;
  } catch (err) {
    throw new UsageError(`--lock-wait: ${(err as Error).message}`);
  }
}

export function parseApprove(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const versions = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const bad = versions.find((v) => !/^\d+$/.test(v));
  if (bad !== undefined || versions.length === 0) {
    throw new UsageError(
      `--approve: "${bad ?? value}" is not a migration version`,
      'e.g. --approve 20240101120000,20240102090000',
    );
  }
  return versions;
}

/** On a TTY, a blocked migration can be approved by typing its exact version. */
export async function askApproval(out: Output, blocked: MigrationGate[]): Promise<string[]> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const approved: string[] = [];
  try {
    for (const g of blocked) {
      printGate(out, g);
      const answer = await rl.question(
        `Type ${g.version} to approve ${g.file} as it is now (anything else refuses): `,
      );
      if (answer.trim() === g.version) approved.push(g.version);
    }
  } finally {
    rl.close();
  }
  return approved;
}

export function printGate(out: Output, g: MigrationGate): void {
  const { c } = out;
  const label =
    g.decision === 'blocked' ? c.red('blocked') : g.decision === 'warn' ? c.yellow('warning') : c.green('ok');
  out.info(
    `${label} ${g.file}${g.approval ? c.dim(` (approved by ${g.approval.approvedBy} at ${g.approval.approvedAt})`) : ''}`,
  );
  for (const r of g.reasons) {
    out.info(
      `    line ${r.line}: ${r.kind} [${r.rule}] ${r.message}${r.lock !== 'none' ? c.dim(` — ${r.lock} on ${r.relation}`) : ''}`,
    );
  }
}

/** Events `migrate` and `rollback` share (gate, approvals, backup, pause, lock, runner); true if printed. */
export function printSharedEvent(
  out: Output,
  e: MigrateEvent | RollbackEvent,
  verbose: boolean,
  verb: 'applying' | 'rolling back' = 'applying',
): boolean {
  const { c } = out;
  switch (e.type) {
    case 'gate':
      for (const g of e.gates) if (g.decision !== 'apply') printGate(out, g);
      break;
    case 'approved':
      out.info(
        `${c.green('approved')} ${e.approval.version} by ${e.approval.approvedBy} (checksum ${e.approval.checksum.slice(0, 12)}…)`,
      );
      break;
    case 'backup-start':
      out.info(
        `${c.cyan('↓')} backup before ${verb === 'applying' ? 'migrating' : 'rolling back'} (policy backup_before_migrate)…`,
      );
      break;
    case 'backup-done':
      out.info(
        `  ${c.green('✓')} backup ${e.id} (${formatBytes(e.bytes, { only: 'KiB' })}) in ${formatDuration(e.durationMs, MS)}`,
      );
      break;
    case 'pause':
      out.warn(`pausing ${e.seconds}s before ${verb}: press Ctrl-C to abort`);
      break;
    case 'invalid-index-dropped':
      out.warn(
        `${e.version} line ${e.line}: dropped INVALID index ${e.index} left by an earlier failed build`,
      );
      break;
    case 'lock-wait':
      out.info(`waiting for the migration lock held by ${describeHolder(e.holder)}…`);
      break;
    case 'statement':
      if (verbose) out.info(c.dim(`    line ${e.line}: ${e.sql.split('\n')[0]!.slice(0, 100)}`));
      break;
    case 'lock-retry':
      out.warn(
        `${e.version} line ${e.line}: ${e.message}; attempt ${e.attempt} of ${e.of} failed, retrying in ${formatDuration(e.waitMs, SECONDS)}`,
      );
      break;
    default:
      return false;
  }
  return true;
}

export function printFailure(out: Output, f: MigrationFailure, direction: 'up' | 'down' = 'up'): void {
  const lines = [
    `${f.file}:${f.line}:${f.column}: ${f.code ? `[${f.code}] ` : ''}${f.message}`,
    ...(f.detail ? [`detail: ${f.detail}`] : []),
    ...(f.hint ? [`postgres hint: ${f.hint}`] : []),
    ...(f.statement ? [`statement: ${f.statement.split('\n')[0]!.slice(0, 160)}`] : []),
  ];
  const section = direction === 'up' ? 'migration' : 'down section';
  const kept =
    f.statementsDone !== undefined && f.statementsDone > 0
      ? `${f.statementsDone} statement(s) of this no-transaction ${section} ran and stay run; \`pgward status\` reports it as partial`
      : direction === 'up'
        ? 'it was rolled back and nothing was recorded for it'
        : 'nothing of it was kept and the migration is still recorded as applied';
  out.error(
    `${direction === 'up' ? 'migration' : 'rollback of'} ${f.version}_${f.name} failed: ${kept}`,
    undefined,
    lines,
  );
}

/** Exit 6: names the blocked files and the exact command that approves them. */
export function printBlocked(
  out: Output,
  blocked: MigrationGate[],
  env: string | undefined,
  command: string,
  dryRun: boolean,
  /** Which identity the database was matched as (stamp/probe, system id, oid), when it was identified. */
  identified?: string | undefined,
): void {
  const versions = blocked.map((b) => b.version).join(',');
  const hard = blocked.filter((b) => !b.approvable);
  const envFlag = env ? ` --env ${env}` : '';
  const what = command.startsWith('rollback') ? 'rolled back' : 'applied';
  out.error(
    `${dryRun ? 'dry run: ' : ''}blocked by the ${env ?? 'environment'} policy${identified ? ` of ${identified}` : ''}: ${blocked.map((b) => `${b.version}_${b.name}`).join(', ')}; nothing ${dryRun ? 'would be' : 'was'} ${what}`,
    hard.length
      ? `fix ${hard.map((b) => b.file).join(', ')}: it would fail as written (approval cannot lift that)`
      : `review the findings above, then approve exactly these files: pgward ${command}${envFlag} --approve ${versions}`,
  );
}
