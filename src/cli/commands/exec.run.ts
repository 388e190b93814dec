// The action of `pgward exec`: a thin adapter over src/migrate/exec.ts that prints what runs, each
// refusal with the command that approves it, and the outcome (or one JSON document).
import { parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors.js';
import { formatDuration, MS } from '../../format/units.js';
import {
  type ExecEvent,
  type ExecResult,
  execApproveCommand,
  execGuarded,
  shellLine,
} from '../../migrate/exec.js';
import type { Context } from '../context.js';
import type { Output } from '../output.js';
import { abortOnSignals } from '../signals.js';
import type { ExecFlags } from './exec.js';

function timeoutMs(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(`--timeout: ${(err as Error).message}`);
  }
}

export async function run(
  ctx: Context,
  argv: string[],
  flags: ExecFlags,
  rawArgs: string[],
): Promise<number> {
  // Without `--`, the command's own options (-c, --json, -v) would be taken as pgward's, silently.
  if (!rawArgs.includes('--'))
    throw new UsageError('exec: put the command after --', `pgward exec --env <name> -- ${argv.join(' ')}`);
  const timeout = timeoutMs(flags.timeout);
  const signals = abortOnSignals();
  try {
    const verbose = flags.verbose === true || ctx.verbose;
    const result = await execGuarded({
      target: ctx.target(),
      config: ctx.config ?? false,
      argv,
      approve: flags.approve?.split(','),
      timeoutMs: timeout,
      signal: signals.signal,
      onEvent: (e) => printEvent(ctx.out, e, verbose),
    });
    if (ctx.out.json) ctx.out.document(jsonDocument(result));
    else printResult(ctx.out, result);
    return signals.exitCode() ?? result.exitCode;
  } finally {
    signals.dispose();
  }
}

function jsonDocument(r: ExecResult): Record<string, unknown> {
  return { ok: r.exitCode === 0, ...r };
}

function printEvent(out: Output, e: ExecEvent, verbose: boolean): void {
  const { c } = out;
  if (e.type === 'run') {
    const limit = e.timeoutMs === null ? 'no timeout' : `timeout ${formatDuration(e.timeoutMs)}`;
    const policy = e.env ? `${e.env} policy` : 'default policy';
    out.info(`${c.cyan('→')} ${shellLine(e.argv)} ${c.dim(`(behind the guard, ${policy}, ${limit})`)}`);
    return;
  }
  const s = e.statement;
  if (!verbose && s.outcome === 'ok' && s.warnings.length === 0) return;
  const mark = s.outcome === 'ok' ? c.green('✓') : s.outcome === 'rejected' ? c.red('✗ refused') : c.red('✗');
  out.info(
    `  ${mark} ${c.dim(formatDuration(s.durationMs, MS))} ${s.sql.replace(/\s+/g, ' ').slice(0, 100)}`,
  );
  for (const w of s.warnings) out.info(`    ${c.yellow('warning')} ${w}`);
  if (s.outcome === 'error' && s.error) out.info(`    ${c.red(`${s.error.code} ${s.error.message}`)}`);
}

function printResult(out: Output, r: ExecResult): void {
  const { c } = out;
  const name = r.argv[0] ?? 'the command';
  if (r.refused.length) {
    for (const f of r.refused) {
      out.line(c.red(`refused ${f.fingerprint}: ${f.message}`));
      out.line(`  statement: ${f.sql.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
    const fps = [...new Set([...r.approvalsUsed, ...r.refused.map((f) => f.fingerprint)])];
    out.line(`  ${c.dim(`approve after review: ${execApproveCommand(r.env, fps, r.argv)}`)}`);
  }
  for (const f of r.approvalsUnused) out.warn(`--approve ${f} matched no statement the command sent`);
  if (r.child.interrupted) out.line(c.red(`${name} was interrupted and stopped`));
  else if (r.child.timedOut)
    out.line(c.red(`${name} went over its timeout (${formatDuration(r.timeoutMs)}) and was stopped`));
  else if (r.child.exitCode !== 0)
    out.line(c.red(`${name} failed: exit code ${r.child.exitCode ?? `signal ${r.child.signal}`}`));
  else
    out.line(
      r.refused.length
        ? c.yellow(`${name} exited 0, but the guard refused ${r.refused.length} statement(s)`)
        : c.green(
            `${name} succeeded: ${r.statements} statement(s) through the guard (audit run ${r.auditRun})`,
          ),
    );
}
