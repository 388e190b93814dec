import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors.js';
import { formatBytes, formatDuration, MS, SECONDS } from '../../format/units.js';
import { describeSummary } from '../../identity/describe.js';
import type { MigrationGate } from '../../migrate/gate.js';
import { describeHolder } from '../../migrate/lock.js';
import type { MigrateEvent, MigrateResult } from '../../migrate/migrate.js';
import type { RollbackEvent } from '../../migrate/rollback.js';
import type { MigrationFailure } from '../../migrate/runner.js';
import { action } from '../context.js';
import type { Output } from '../output.js';
import { abortOnSignals } from '../signals.js';

export function lockWaitMs(value: string | undefined): number {
  if (value === undefined) return 60_000;
  try {
    return parseDuration(value) ?? 0;
  } catch (err) {
    throw new UsageError(`--lock-wait: ${(err as Error).message}`);
  }
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations, each in its own transaction, under an advisory lock')
    .option('--to <version>', 'stop after this version')
    .option('--dry-run', 'print the plan and the SQL; change nothing')
    .option('--allow-drift', 'run even though applied files changed or disappeared')
    .option('--allow-out-of-order', 'apply pending migrations older than the newest applied one')
    .option(
      '--retry-partial',
      'rerun no-transaction migrations that stopped part-way, from their first statement',
    )
    .option('--lock-wait <duration>', 'how long to wait for another run holding the lock', '60s')
    .option(
      '--approve <versions>',
      'approve these blocked migrations (comma-separated versions); bound to the files as they are now',
    )
    .option('-v, --verbose', 'print every statement as it is sent to the server')
    .action(
      action(async (ctx, flags: Record<string, string | boolean | undefined>) => {
        const signals = abortOnSignals();
        try {
          const { migrate } = await import('../../migrate/migrate.js');
          const result = await migrate({
            target: ctx.target(),
            source: ctx.migrations(),
            to: flags.to as string | undefined,
            dryRun: flags.dryRun === true,
            allowDrift: flags.allowDrift === true,
            allowOutOfOrder: flags.allowOutOfOrder === true,
            retryPartial: flags.retryPartial === true,
            lockWaitMs: lockWaitMs(flags.lockWait as string | undefined),
            signal: signals.signal,
            onEvent: (e) => printEvent(ctx.out, e, flags.verbose === true),
            approve: parseApprove(flags.approve as string | undefined),
            askApproval: process.stdin.isTTY && !ctx.out.json ? (b) => askApproval(ctx.out, b) : undefined,
            config: ctx.config,
          });
          if (flags.verbose === true) printIdentity(ctx.out, result);
          if (ctx.out.json) ctx.out.document({ ok: result.exitCode === 0, ...result });
          else printResult(ctx.out, result);
          return signals.exitCode() ?? result.exitCode;
        } finally {
          signals.dispose();
        }
      }),
    );
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

function printGate(out: Output, g: MigrationGate): void {
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

function printEvent(out: Output, e: MigrateEvent, verbose: boolean): void {
  const { c } = out;
  if (printSharedEvent(out, e, verbose)) return;
  if (e.type === 'start')
    out.info(`${c.cyan('→')} ${e.version}_${e.name}${e.transaction ? '' : c.dim(' (no transaction)')}`);
  else if (e.type === 'applied')
    out.info(
      `  ${c.green('✓')} applied in ${formatDuration(e.durationMs, MS)}${e.attempts > 1 ? ` (attempt ${e.attempts})` : ''}`,
    );
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

/** -v: which environments the database was identified as, and which could not be compared (and why). */
function printIdentity(out: Output, r: MigrateResult): void {
  if (!r.identity) return;
  for (const m of r.identity.matches) out.info(`identified as ${m.env}: ${m.by.join(', ')}`);
  for (const u of r.identity.unverified) out.info(`could not compare with ${u.env}: ${u.reason}`);
}

function printResult(out: Output, r: MigrateResult): void {
  const { c } = out;
  if (r.dryRun) printDryRun(out, r);
  if (r.blocked.length) {
    printBlocked(
      out,
      r.blocked,
      r.env,
      'migrate',
      r.dryRun,
      r.identity ? describeSummary(r.identity) : undefined,
    );
    return;
  }
  if (r.dryRun) {
    if (r.planned.length)
      out.line(c.dim(`dry run: ${r.planned.length} migration(s) would be applied; nothing was changed`));
    return;
  }
  if (r.failure) {
    printFailure(out, r.failure);
    if (r.applied.length)
      out.info(`${r.applied.length} migration(s) applied before the failure stay applied`);
    return;
  }
  out.line(
    r.applied.length ? c.green(`applied ${r.applied.length} migration(s)`) : 'nothing to apply: up to date',
  );
}

function printDryRun(out: Output, r: MigrateResult): void {
  const { c } = out;
  if (r.planned.length === 0) out.line('nothing to apply: up to date');
  for (const p of r.planned) {
    out.line(c.bold(`-- ${p.file}${p.transaction ? ' (in a transaction)' : ' (no transaction)'}`));
    for (const s of p.statements) out.line(`-- line ${s.line}\n${s.sql};`);
    out.line();
  }
}
