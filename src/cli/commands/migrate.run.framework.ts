// `pgward migrate` in a project whose migrations another framework runs: prints what is pending, the
// framework's own command as it runs behind the guard, refusals and retries, and the summary.
import { formatDuration, MS } from '../../format/units.js';
import type { FrameworkMigrateEvent, FrameworkMigrateResult } from '../../migrate/framework-migrate.js';
import type { Context } from '../context.js';
import type { Output } from '../output.js';
import { abortOnSignals } from '../signals.js';
import type { MigrateFlags } from './migrate.js';
import { lockWaitMs } from './migrate.shared.js';
import { printGate } from './plan.run.framework.js';

export async function runFramework(ctx: Context, flags: MigrateFlags): Promise<number> {
  const signals = abortOnSignals();
  try {
    const { configuredCommand, migrateFramework } = await import('../../migrate/framework-migrate.js');
    const verbose = flags.verbose === true || ctx.verbose;
    const result = await migrateFramework({
      target: ctx.target(),
      source: ctx.migrations(),
      config: ctx.config,
      approve: flags.approve
        ?.split(',')
        .map((v) => v.trim())
        .filter(Boolean),
      lockWaitMs: lockWaitMs(flags.lockWait),
      signal: signals.signal,
      command: configuredCommand(ctx.config?.raw.migrations?.command),
      onEvent: (e) => printEvent(ctx.out, e, verbose),
    });
    if (ctx.out.json) ctx.out.document({ ok: result.exitCode === 0, ...result });
    else printResult(ctx.out, result);
    return signals.exitCode() ?? result.exitCode;
  } finally {
    signals.dispose();
  }
}

function printEvent(out: Output, e: FrameworkMigrateEvent, verbose: boolean): void {
  const { c } = out;
  if (e.type === 'pending')
    out.info(
      e.pending.length
        ? `${e.framework}: ${e.pending.length} pending (${e.pending.map((p) => p.version).join(', ')})`
        : `${e.framework}: nothing pending`,
    );
  else if (e.type === 'approved')
    out.info(
      `${c.green('approved')} ${e.approval.version} as it is now (checksum ${e.approval.checksum.slice(0, 12)})`,
    );
  else if (e.type === 'backup-start') out.info('taking the pre-migrate backup…');
  else if (e.type === 'backup-done') out.info(`backup ${e.id} taken in ${formatDuration(e.durationMs, MS)}`);
  else if (e.type === 'run')
    out.info(
      `${c.cyan('→')} ${e.argv.join(' ')} ${c.dim(`(behind the guard${e.attempt > 1 ? `, attempt ${e.attempt}` : ''})`)}`,
    );
  else if (e.type === 'retry')
    out.info(`${c.yellow('!')} ${e.reason} — rolled back; retrying in ${formatDuration(e.waitMs, MS)}`);
  else if (e.type === 'statement' && (verbose || e.statement.outcome !== 'ok' || e.statement.warnings.length))
    printStatement(out, e.statement);
}

function printStatement(
  out: Output,
  s: Extract<FrameworkMigrateEvent, { type: 'statement' }>['statement'],
): void {
  const { c } = out;
  const mark = s.outcome === 'ok' ? c.green('✓') : s.outcome === 'rejected' ? c.red('✗ refused') : c.red('✗');
  const sql = s.sql.replace(/\s+/g, ' ').slice(0, 100);
  out.info(`  ${mark} ${c.dim(formatDuration(s.durationMs, MS))} ${sql}`);
  for (const w of s.warnings) out.info(`    ${c.yellow('warning')} ${w}`);
  if (s.outcome === 'error' && s.error) out.info(`    ${c.red(`${s.error.code} ${s.error.message}`)}`);
}

function printResult(out: Output, r: FrameworkMigrateResult): void {
  const { c } = out;
  if (r.blocked.length) {
    for (const g of r.gates.filter((x) => x.decision === 'blocked')) printGate(out, g);
    const env = r.env ? ` --env ${r.env}` : '';
    out.line(c.red(`blocked before anything ran: ${r.blocked.join(', ')} (${r.framework} was not started)`));
    out.line(
      `  ${c.dim(`review, then approve exactly these files: pgward migrate${env} --approve ${r.blocked.join(',')}`)}`,
    );
    return;
  }
  if (r.refused) {
    out.line(c.red(`refused: ${r.refused.message}`));
    out.line(`  statement: ${r.refused.sql.replace(/\s+/g, ' ').slice(0, 200)}`);
    out.line(
      `  nothing of ${r.refused.version ?? 'that migration'} was applied by pgward's refusal; ${r.framework} rolled back`,
    );
    out.line(
      `  ${c.dim(`approve it after review: pgward migrate${r.env ? ` --env ${r.env}` : ''} --approve ${r.refused.version ?? '<version>'}`)}`,
    );
    return;
  }
  if (r.command && r.exitCode !== 0) {
    const why = r.command.timedOut
      ? 'went over policy.migration_timeout and was stopped'
      : `exited with ${r.command.exitCode}`;
    out.line(c.red(`${r.framework} ${why}`));
    if (r.applied.length)
      out.info(`${r.applied.length} migration(s) applied before the failure stay applied`);
    return;
  }
  out.line(
    r.applied.length
      ? c.green(`applied ${r.applied.length} migration(s) with ${r.framework} (${r.statements} statements)`)
      : 'nothing to apply: up to date',
  );
}
