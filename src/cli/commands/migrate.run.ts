// The action of `pgward migrate`: a thin adapter over src/migrate that prints events as they happen and
// a summary (or one JSON document) at the end.
import { UsageError } from '../../errors.js';
import { formatDuration, MS } from '../../format/units.js';
import { describeSummary } from '../../identity/describe.js';
import { closeEarly, connectEarly, type EarlyConnections } from '../../migrate/early-connect.js';
import type { MigrateEvent, MigrateResult } from '../../migrate/migrate.js';
import type { Context } from '../context.js';
import type { Output } from '../output.js';
import { abortOnSignals } from '../signals.js';
import type { MigrateFlags } from './migrate.js';
import {
  askApproval,
  lockWaitMs,
  parseApprove,
  printBlocked,
  printFailure,
  printSharedEvent,
} from './migrate.shared.js';

export async function run(ctx: Context, flags: MigrateFlags): Promise<number> {
  // The server sets up the run's sessions while the runner loads (a light module, loaded first).
  const early = connectEarly(ctx.target(), { dryRun: flags.dryRun === true });
  try {
    return await runWith(ctx, flags, early);
  } catch (err) {
    await closeEarly(early); // a no-op for those migrate already closed
    throw err;
  }
}

async function runWith(ctx: Context, flags: MigrateFlags, early: EarlyConnections): Promise<number> {
  // Loaded while the framework is found out: pgward's runner and the SQL parser its gate needs
  // (compiling the parser's WebAssembly is ~100 ms of a 200-migration run).
  const loading = import('../../migrate/migrate.js');
  loading.then((m) => m.warmParser()).catch(() => {});
  const { projectFramework, runsOwnFormat } = await import('../../migrate/framework-migrate.js');
  const project = { target: ctx.target(), source: ctx.migrations(), config: ctx.config };
  // Files another framework could also own (node-pg-migrate's names are dbmate's): the tables tell,
  // read on the run's own session rather than a connection of their own.
  const framework = (await runsOwnFormat(project))
    ? 'pgward'
    : await projectFramework(project, early.session);
  if (framework !== 'pgward' && framework !== 'dbmate') {
    if (flags.dryRun)
      throw new UsageError(
        `--dry-run: ${framework} runs this project's migrations`,
        'pgward plan shows what would run and what the guard would refuse, changing nothing',
      );
    // The framework's own tool connects; pgward's guard opens what it needs.
    await closeEarly(early);
    return (await import('./migrate.run.framework.js')).runFramework(ctx, flags);
  }
  const signals = abortOnSignals();
  try {
    const { migrate } = await loading;
    const result = await migrate({
      connections: early, // adopted: migrate closes them
      target: ctx.target(),
      source: ctx.migrations(),
      to: flags.to,
      dryRun: flags.dryRun === true,
      allowDrift: flags.allowDrift === true,
      allowOutOfOrder: flags.allowOutOfOrder === true,
      retryPartial: flags.retryPartial === true,
      lockWaitMs: lockWaitMs(flags.lockWait),
      signal: signals.signal,
      onEvent: (e) => printEvent(ctx.out, e, flags.verbose === true || ctx.verbose),
      approve: parseApprove(flags.approve),
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
