// `pgward exec -- <command>`: a one-off script (a data fix, an import) run with its database connections
// going through the guard, like a framework's migrate command: the database is identified (the policy
// is the strictest of the environments it is), every statement is judged live against that policy, the
// policy's timeouts are forced on every session, the whole run is bounded, and the run is audited
// (kind 'exec'). Approvals bind to the exact text of a statement: its fingerprint, the first 12 hex
// characters of sha256(text), which the refusal names in the command that approves it.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { type ProjectOptions, resolveProject } from '../config/project.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, type ExitCodeValue, PgwardError, UsageError } from '../errors.js';
import { commonEnv } from '../frameworks/commands.js';
import { ensureAudit, finishAuditRun, startAuditRun } from '../guard/audit.js';
import { policyInspector } from '../guard/inspect.js';
import { type GuardedCommandResult, runGuardedCommand } from '../guard/run.js';
import { sessionSettings } from '../guard/settings.js';
import type { StatementRecord } from '../guard/types.js';
import { identifyForWrite } from '../identity/identify.js';
import { redact, redactUrl } from '../redact.js';
import { ensureParser } from '../sql/parser.js';
import { actor } from './history.js';

export interface ExecOptions extends ProjectOptions {
  /** The command and its arguments (run directly, no shell). */
  argv: string[];
  /** Fingerprints of statements to let through (12 hex characters each, from a refusal). */
  approve?: string[] | undefined;
  /** Whole-run limit in ms; null for none. Default: the policy's migration_timeout. */
  timeoutMs?: number | null | undefined;
  /** Working directory of the command. Default: this process's. */
  cwd?: string | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: (e: ExecEvent) => void;
  /** The command's own output, stdout and stderr (default: this process's stderr). */
  onOutput?: (chunk: Buffer) => void;
}

export type ExecEvent =
  | { type: 'run'; argv: string[]; env: string | undefined; timeoutMs: number | null }
  | { type: 'statement'; statement: StatementRecord; fingerprint: string };

export interface ExecRefusal {
  /** The statement as the command sent it (one Query message: possibly several statements). */
  sql: string;
  /** What `--approve` takes to let exactly this text through. */
  fingerprint: string;
  message: string;
}

export interface ExecResult {
  env: string | undefined;
  database: string;
  argv: string[];
  /** Statements the command sent through the guard (refused ones included). */
  statements: number;
  refused: ExecRefusal[];
  /** Given fingerprints that let a statement through / that matched nothing the command sent. */
  approvalsUsed: string[];
  approvalsUnused: string[];
  child: {
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    timedOut: boolean;
    interrupted: boolean;
    stderrTail: string;
  };
  timeoutMs: number | null;
  durationMs: number;
  auditRun: number;
  exitCode: ExitCodeValue;
}

/**
 * The fingerprint `--approve` takes for a statement: the first 12 hex characters of sha256 of its exact text.
 *
 * @example
 * ```ts
 * import { statementFingerprint } from 'pgward';
 * console.log(statementFingerprint('UPDATE users SET flag = true')); // 12 hex characters
 * ```
 */
export function statementFingerprint(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex').slice(0, 12);
}

/**
 * Runs a one-off command with its database connections behind the guard: DATABASE_URL and PG* point it
 * at a loopback endpoint with a one-time password (the real URL never reaches it), every statement is
 * judged against the environment's policy, refused unless `approve` holds its fingerprint, and the run
 * is audited in pgward.guard_runs (kind 'exec').
 *
 * @example
 * ```ts
 * import { execGuarded } from 'pgward';
 * const res = await execGuarded({ env: 'production', argv: ['node', 'scripts/fix-flags.js'], approve: ['3f2a9c01b7de'] });
 * for (const r of res.refused) console.log(`refused ${r.fingerprint}: ${r.message}`);
 * process.exitCode = res.exitCode;
 * ```
 */
export async function execGuarded(given: ExecOptions): Promise<ExecResult> {
  if (given.argv.length === 0 || !given.argv[0])
    throw new UsageError(
      'exec: no command given',
      'put the command after --: pgward exec --env <name> -- node fix.js',
    );
  const approve = checkedApprovals(given.approve);
  const opts = await resolveProject(given);
  const client = await connect(opts.target.url, { applicationName: appName('exec') });
  try {
    const target = await identifyForWrite(client, opts.target, opts);
    await ensureAudit(client);
    await ensureParser();
    return await execOnControl(client, { ...opts, target, approve });
  } finally {
    await client.end().catch(() => {});
  }
}

function checkedApprovals(given: string[] | undefined): string[] {
  const list = (given ?? []).map((f) => f.trim().toLowerCase()).filter(Boolean);
  const bad = list.find((f) => !/^[0-9a-f]{12}$/.test(f));
  if (bad !== undefined)
    throw new UsageError(
      `--approve ${bad}: not a statement fingerprint`,
      'give the 12 hex characters a refusal printed (pgward exec … --approve <fingerprint> -- <command>)',
    );
  return [...new Set(list)];
}

type Run = Awaited<ReturnType<typeof resolveProject<ExecOptions>>> & { approve: string[] };

async function execOnControl(client: pg.Client, run: Run): Promise<ExecResult> {
  const policy = run.target.policy;
  const timeoutMs = run.timeoutMs === undefined ? policy.migrationTimeoutMs : run.timeoutMs;
  const command = redact(shellLine(run.argv));
  const emit = run.onEvent ?? (() => {});
  const approved = new Set(run.approve);
  const used = new Set<string>();
  const auditRun = await startAuditRun(client, {
    kind: 'exec',
    env: run.target.env,
    framework: undefined,
    command,
    runBy: actor(),
  });
  emit({ type: 'run', argv: run.argv, env: run.target.env, timeoutMs });
  const serverVersionNum = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
  let res: GuardedCommandResult;
  try {
    res = await runGuardedCommand({
      upstreamUrl: run.target.url,
      settings: sessionSettings(policy),
      inspector: policyInspector({
        policy,
        env: run.target.env,
        control: client,
        serverVersionNum,
        approval: (sql) => {
          const fp = statementFingerprint(sql);
          if (approved.has(fp)) used.add(fp);
          return { approved: approved.has(fp), hint: approveHint(run, fp) };
        },
      }),
      argv: run.argv,
      cwd: run.cwd ?? process.cwd(),
      env: commonEnv,
      timeoutMs,
      signal: run.signal,
      onStatement: (s) => emit({ type: 'statement', statement: s, fingerprint: statementFingerprint(s.sql) }),
      ...(run.onOutput ? { onOutput: run.onOutput } : {}),
    });
  } catch (err) {
    await finishAuditRun(client, auditRun, 'failed', null, []).catch(() => {});
    throw commandError(err);
  }
  return conclude(client, run, res, { auditRun, timeoutMs, used });
}

function commandError(err: unknown): unknown {
  if (!(err instanceof PgwardError) || !err.message.startsWith('cannot run ')) return err;
  return new PgwardError(err.message, {
    exitCode: ExitCode.usage,
    hint: 'check the command after --: it runs directly (no shell), found on PATH or relative to the working directory',
  });
}

async function conclude(
  client: pg.Client,
  run: Run,
  res: GuardedCommandResult,
  ctx: { auditRun: number; timeoutMs: number | null; used: Set<string> },
): Promise<ExecResult> {
  const refused = res.statements
    .filter((s) => s.outcome === 'rejected')
    .map((s) => ({ sql: s.sql, fingerprint: statementFingerprint(s.sql), message: s.error?.message ?? '' }));
  let exitCode: ExitCodeValue = ExitCode.ok;
  if (res.interrupted) exitCode = ExitCode.interrupted;
  else if (refused.length) exitCode = ExitCode.gateBlocked;
  else if (res.timedOut || res.exitCode !== 0) exitCode = ExitCode.runtime;
  const outcome = res.interrupted
    ? 'interrupted'
    : res.timedOut
      ? 'timed-out'
      : refused.length
        ? 'refused'
        : exitCode === ExitCode.ok
          ? 'succeeded'
          : 'failed';
  const audited = res.statements.map((s) => ({ ...s, version: undefined }));
  await finishAuditRun(client, ctx.auditRun, outcome, res.exitCode, audited);
  return {
    env: run.target.env,
    database: redactUrl(run.target.url),
    argv: run.argv,
    statements: res.statements.length,
    refused,
    approvalsUsed: [...ctx.used],
    approvalsUnused: run.approve.filter((f) => !ctx.used.has(f)),
    child: {
      exitCode: res.exitCode,
      signal: res.signal,
      timedOut: res.timedOut,
      interrupted: res.interrupted,
      stderrTail: res.stderrTail,
    },
    timeoutMs: ctx.timeoutMs,
    durationMs: res.durationMs,
    auditRun: ctx.auditRun,
    exitCode,
  };
}

/** The exact command that approves this statement (with the approvals already given). */
export function execApproveCommand(env: string | undefined, fingerprints: string[], argv: string[]): string {
  const where = env ? `--env ${env}` : '--url …';
  return `pgward exec ${where} --approve ${fingerprints.join(',')} -- ${shellLine(argv)}`;
}

function approveHint(run: Run, fp: string): string {
  const fps = run.approve.includes(fp) ? run.approve : [...run.approve, fp];
  return `review it, then approve exactly this statement: ${redact(execApproveCommand(run.target.env, fps, run.argv))}`;
}

/** argv as one line a POSIX shell reads back the same (single quotes where needed). */
export function shellLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
