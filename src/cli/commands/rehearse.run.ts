// Implementation of `pgward rehearse`: settings from pgward.yaml and flags, progress on stderr,
// the report on stdout (human table, markdown or JSON), exit 1 on failure, 9 over budget.

import { maskingFor } from '../../clone/config.js';
import { UsageError } from '../../errors.js';
import { formatDuration, SECONDS } from '../../format/units.js';
import { identifyTarget } from '../../identity/identify.js';
import { rehearsalSettings } from '../../rehearse/config.js';
import { rehearseViaNeon } from '../../rehearse/neon.js';
import { recordRehearsal } from '../../rehearse/record.js';
import { type RehearseOptions, type RehearseResult, rehearse } from '../../rehearse/rehearse.js';
import { HEADERS, markdown, rows } from '../../rehearse/report.js';
import { lockName } from '../../rehearse/trace.js';
import type { Context } from '../context.js';
import { type Output, table } from '../output.js';
import { abortOnSignals } from '../signals.js';
import { neonEnv } from './neon.shared.js';
import type { RehearseFlags } from './rehearse.js';

export async function run(ctx: Context, flags: RehearseFlags): Promise<number> {
  // Identified first: masking rules are chosen by the environment the database really is.
  const target = await identifyTarget(ctx.target(), { config: ctx.config });
  const settings = rehearsalSettings(ctx.config, target.policy.migrationTimeoutMs);
  if (flags.server) settings.server = flags.server;
  if (flags.jobs !== undefined) {
    const j = Number(flags.jobs);
    if (!Number.isInteger(j) || j < 1 || j > 64)
      throw new UsageError(`--jobs ${flags.jobs}: a whole number from 1 to 64`);
    settings.jobs = j;
  }
  if (flags.via === 'neon' && (flags.server || flags.backup || flags.jobs))
    throw new UsageError('--server, --backup and --jobs are for a copy on a server, not --via neon');
  const neon = flags.via === 'neon' ? neonEnv(ctx, target.env) : undefined;
  const sig = abortOnSignals();
  let r: RehearseResult;
  try {
    r = await (neon ? (x: RehearseOptions) => rehearseViaNeon({ ...x, neon }) : rehearse)({
      config: ctx.config,
      target,
      source: ctx.migrations(),
      settings,
      masking: maskingFor(ctx.config, target.env, 'rehearsal'),
      backup: flags.backup,
      keep: flags.keep === true,
      signal: sig.signal,
      onStep: (step, detail) => ctx.out.info(`· ${step}${detail ? ` ${detail}` : ''}`),
      // A framework's own output (Rails, Alembic, ...) on stderr with -v; its last lines explain a failure anyway.
      ...(ctx.verbose ? { onOutput: (chunk: Buffer) => process.stderr.write(chunk) } : {}),
    });
  } finally {
    sig.dispose();
  }
  if (flags.record) await record(ctx, target.url, r);
  const format = ctx.out.json ? 'json' : flags.format;
  if (format === 'json') ctx.out.document(r);
  else if (format === 'markdown') process.stdout.write(`${markdown(r)}\n`);
  else printHuman(ctx.out, r);
  return sig.exitCode() ?? r.exitCode;
}

/** --record: the verdict into the rehearsed database's pgward.rehearsals (promote reads it). */
async function record(ctx: Context, url: string, r: RehearseResult): Promise<void> {
  const migrations = r.migrations.map((m) => `${m.version} ${m.verdict}`);
  const ok = await recordRehearsal(url, { env: r.env, ok: r.ok, exitCode: r.exitCode, migrations });
  if (ok) ctx.out.info(`· recorded in ${r.env}'s pgward.rehearsals`);
  else
    ctx.out.warn(
      `could not record the verdict in ${r.env}'s pgward.rehearsals (read-only server or no CREATE)`,
    );
}

function copyWord(r: RehearseResult): string {
  if (r.copy.branch) return `Neon branch ${r.copy.branch.name}`;
  return r.copy.method === 'clone' ? 'clone' : `backup ${r.copy.backup}`;
}

function printHuman(out: Output, r: RehearseResult): void {
  const { c } = out;
  out.line(
    `${c.bold(`rehearsal on a copy of ${r.env}`)} (${copyWord(r)}, made in ${formatDuration(r.copy.durationMs, SECONDS)})` +
      (r.framework !== 'pgward' && r.framework !== 'dbmate'
        ? `, migrated by ${r.framework} behind the guard`
        : ''),
  );
  if (!r.migrations.length) {
    out.line('no pending migrations');
    return;
  }
  out.line(table(HEADERS, rows(r)));
  const foreign = r.framework !== 'pgward' && r.framework !== 'dbmate';
  for (const m of r.migrations) {
    if (!m.statements.length) continue;
    out.line();
    out.line(c.bold(`${m.version}_${m.name}`) + (m.reasons.length ? `  ${c.red(m.reasons.join('; '))}` : ''));
    for (const s of m.statements) {
      const bits = [
        // A framework's statements have no line in a file of pgward's: their number and text instead.
        foreign ? `#${s.line} ${s.sql.replace(/\s+/g, ' ').slice(0, 60)}` : `line ${s.line}`,
        formatDuration(s.ms, { style: 'seconds', digits: 3 }),
        s.rows !== null ? `${s.rows} rows` : '',
        s.locks.map((l) => `${lockName(l.mode)} ${l.relation}`).join(', '),
        s.rewrites.length ? `rewrote ${s.rewrites.join(', ')}` : '',
        s.constraints.map((k) => `${k.action} ${k.name}${k.validated ? '' : ' (NOT VALID)'}`).join(', '),
      ].filter(Boolean);
      out.line(`  ${s.error ? c.red('✗') : '·'} ${bits.join(' · ')}${s.error ? ` · ${c.red(s.error)}` : ''}`);
      if (s.refusedInProduction)
        out.line(`    ${c.yellow('production would refuse this statement:')} ${s.refusedInProduction}`);
    }
    for (const l of m.locks.filter((x) => x.blocking))
      out.line(
        `  ${c.dim('held')} ${lockName(l.mode)} on ${l.relation} for ${formatDuration(l.heldMs, { style: 'seconds', digits: 3 })} (from line ${l.line})`,
      );
  }
  if (r.smoke.length) {
    out.line();
    for (const s of r.smoke)
      out.line(`${s.ok ? c.green('✓') : c.red('✗')} smoke: ${s.check}${s.error ? ` — ${s.error}` : ''}`);
  }
  out.line();
  out.line(
    r.ok
      ? c.green(`ok: every migration within budget (blocking locks ≤ ${r.budget.maxLockSeconds}s)`)
      : c.red(
          `not ok: ${
            r.migrations
              .filter((m) => m.verdict !== 'ok')
              .map((m) => `${m.version} ${m.verdict}`)
              .join(', ') || 'smoke checks failed'
          }`,
        ),
  );
  const dropped = r.copy.branch
    ? `Neon branch ${r.copy.branch.name} deleted`
    : `copy ${r.copy.database} dropped`;
  out.line(c.dim(r.copy.kept ? `copy kept: ${r.copy.url}` : dropped));
}
