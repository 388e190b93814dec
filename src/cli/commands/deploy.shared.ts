// How `pgward deploy` and its journal commands print: progress lines, the step table, the database
// decision after a rollback, and the exact commands to run next.
import type { DeployEvent, DeployResult, JournalEntry } from '../../deploy/index.js';
import type { DeployRecord, DeployStep } from '../../deploy/journal.js';
import { formatDuration, MS } from '../../format/units.js';
import { type Output, table } from '../output.js';

export function printDeployEvent(out: Output, e: DeployEvent): void {
  const { c } = out;
  switch (e.type) {
    case 'start':
      out.info(`deploy ${e.id} of ${e.env} (${e.provider})`);
      break;
    case 'resume':
      out.info(c.yellow(`resuming deploy ${e.id}: it stopped at ${e.stoppedAt}; finished steps are kept`));
      break;
    case 'step-start':
      out.info(`${c.cyan('→')} ${e.step}`);
      break;
    case 'step-kept':
      out.info(c.dim(`  ${e.step.name}: ${e.step.status} before the restart, kept (${e.step.detail})`));
      break;
    case 'step-end':
      out.info(
        `  ${mark(out, e.step)} ${e.step.detail}${e.step.durationMs !== null ? c.dim(` (${formatDuration(e.step.durationMs, MS)})`) : ''}`,
      );
      break;
    case 'progress':
      out.info(c.dim(`  ${e.step}: ${e.detail}`));
      break;
  }
}

function mark(out: Output, s: DeployStep): string {
  const { c } = out;
  if (s.status === 'done') return c.green('✓');
  if (s.status === 'skipped') return c.dim('–');
  if (s.status === 'running') return c.yellow('…');
  return c.red('✗');
}

function stepTable(d: DeployRecord): string {
  return table(
    ['step', 'result', 'time', 'detail'],
    d.steps.map((s) => [
      s.name,
      s.status,
      s.durationMs === null ? '' : formatDuration(s.durationMs, MS),
      s.detail,
    ]),
  );
}

export function printDeployResult(out: Output, r: DeployResult): void {
  const { c } = out;
  const d = r.deploy;
  out.line(stepTable(d));
  const colour =
    d.status === 'succeeded'
      ? c.green
      : d.status === 'rolled_back' || d.status === 'blocked'
        ? c.yellow
        : c.red;
  out.line(colour(`deploy ${d.id}: ${d.status.replace('_', ' ')}${r.resumed ? ' (resumed)' : ''}`));
  const stopped = d.status === 'running' ? d.steps.find((s) => s.status === 'interrupted') : undefined;
  if (stopped) out.error(`deploy ${d.id} stopped at ${stopped.name}: ${stopped.detail}`);
  if (r.resumed && d.status !== 'running')
    out.info('this run finished the stopped deploy; run pgward deploy again to deploy anything newer');
  if (r.approveCommand) {
    out.error(
      `blocked by the ${d.env} policy: ${r.blocked.join(', ')}; nothing was deployed`,
      `review the findings (pgward plan --env ${d.env}), then approve exactly these files: ${r.approveCommand}`,
    );
  }
  if (r.database?.action === 'needs-approval') {
    const w = r.database.writesSince;
    out.warn(
      `the database was NOT changed: ${r.database.incompatible.map((m) => `${m.version}_${m.name} (${m.findings.map((f) => f.rule).join(', ')})`).join('; ')} ${r.database.incompatible.length > 1 ? 'are' : 'is'} not backward compatible`,
    );
    if (w) {
      out.warn(
        `${w.lowerBound ? 'at least ' : ''}${w.total} write(s) since the deploy${
          w.total
            ? `: ${Object.entries(w.tables)
                .map(([t, n]) => `${t} ${n}`)
                .join(', ')}`
            : ''
        }`,
      );
    }
    out.line('to change the database (explicit approval; says what would be lost):');
    for (const cmd of r.database.commands) out.line(`  ${cmd}`);
  }
}

export function printJournalEntry(out: Output, d: JournalEntry): void {
  const state =
    d.status === 'running'
      ? d.live
        ? 'running'
        : 'stopped (no pgward runs it: the next `pgward deploy` resumes it)'
      : d.status.replace('_', ' ');
  out.line(`deploy ${d.id} of ${d.env}: ${state}`);
  out.line(
    `started ${d.startedAt} by ${d.actor} (pid ${d.pid} on ${d.host})${d.finishedAt ? `, finished ${d.finishedAt}` : ''}`,
  );
  out.line(
    `provider: ${d.provider}${d.platformDeployId ? `; platform deploy ${d.platformDeployId}` : ''}${d.previousDeploy ? `; previous ${d.previousDeploy}` : ''}`,
  );
  if (d.backupId) out.line(`pre-deploy backup: ${d.backupId}`);
  if (d.migrations.length)
    out.line(
      `migrations: ${d.migrations.map((m) => `${m.version}_${m.name}${m.compatible ? '' : ' (not backward compatible)'}`).join(', ')}`,
    );
  out.line(stepTable(d));
  if (d.databaseRollback)
    out.line(
      `database rollback (${d.databaseRollback.how}) by ${d.databaseRollback.by}: ${d.databaseRollback.detail}`,
    );
}

export function printJournalList(out: Output, list: JournalEntry[]): void {
  if (!list.length) {
    out.line('no deploys in the journal yet');
    return;
  }
  out.line(
    table(
      ['id', 'env', 'status', 'started', 'step', 'migrations'],
      list.map((d) => {
        const last = d.steps[d.steps.length - 1];
        const status = d.status === 'running' && !d.live ? 'stopped' : d.status;
        return [
          d.id,
          d.env,
          status,
          d.startedAt,
          last ? `${last.name}: ${last.status}` : '',
          String(d.migrations.length),
        ];
      }),
    ),
  );
}
