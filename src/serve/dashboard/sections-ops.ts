// Dashboard sections about operations: backups (size and duration over time, verification and drill
// status, the recovery-time trend of drills), scheduled jobs (schedules, a calendar of runs and
// failures, the recent failures) and the doctor's checks with their hints.
import type { BackupEntry, JobRunRow } from './collect.js';
import { badge, bytes, type Html, html, ms, table, time } from './html.js';
import type { DashboardView } from './view.js';

function verified(b: BackupEntry): Html {
  const v = b.verifications[0];
  if (!v) return html`<span class="muted">never verified</span>`;
  const what = v.drill === null ? 'checksum' : 'restore drill';
  return html`${badge(v.ok ? 'passed' : 'failed')} ${what} at ${time(v.at)}${v.drill !== null ? ` (${ms(v.durationMs)})` : ''}${v.firstDifference ? html`<br><span class="error">${v.firstDifference}</span>` : ''}`;
}

export function backupRow(b: BackupEntry): Html {
  return html`<tr><td>${time(b.finishedAt)}</td><td>${b.id}</td><td>${bytes(b.bytes)}</td><td>${ms(b.durationMs)}</td><td>${b.reason}</td><td>${verified(b)}</td></tr>`;
}

export const BACKUP_HEAD = ['finished', 'backup', 'size', 'duration', 'reason', 'latest verification'];

const chart = (name: string, caption: string, n: number) =>
  html`<figure class="chart" data-chart="${name}"><div class="plot"></div><figcaption>${caption} (${n} points)</figcaption>
  <p class="nojs">The chart needs JavaScript; the table lists the same data.</p></figure>`;

export function backupsSection(v: DashboardView, base: string, limit: number): Html {
  const i = v.backups.info;
  const list = v.backups.list;
  const drills = v.backups.drills;
  const lastDrill = drills[drills.length - 1];
  return html`<section aria-labelledby="backups"><h2 id="backups">Backups</h2>
  <dl class="facts">
    <div><dt>backups</dt><dd>${i ? i.count : '—'}</dd></div>
    <div><dt>last success</dt><dd>${time(i?.lastSuccessAt)}</dd></div>
    <div><dt>last size</dt><dd>${bytes(i?.lastSizeBytes)}</dd></div>
    <div><dt>last drill passed</dt><dd>${time(i?.lastDrillPassedAt)}</dd></div>
    <div><dt>last drill</dt><dd>${lastDrill ? html`${badge(lastDrill.ok ? 'passed' : 'failed')} recovery in ${ms(lastDrill.durationMs)}` : html`<span class="muted">none</span>`}</dd></div>
    <div><dt>storage</dt><dd>${i?.storage ?? '—'}</dd></div>
  </dl>
  ${i?.error ? html`<p class="error">${i.error}</p>` : ''}
  <div class="charts">
    ${chart('backup-size', 'Backup size over time', list.length)}
    ${chart('backup-duration', 'Backup duration over time', list.length)}
    ${chart('drills', 'Recovery time of restore drills', drills.length)}
  </div>
  ${table('Backups, newest first', BACKUP_HEAD, list.slice(0, limit).map(backupRow), 'no backup in the catalog')}
  ${list.length > limit ? html`<p><a href="${base}/backups">All ${list.length} backups</a></p>` : ''}
  ${table(
    'Restore drills, newest first',
    ['at', 'backup', 'result', 'recovery time'],
    [...drills]
      .reverse()
      .slice(0, limit)
      .map(
        (d) =>
          html`<tr><td>${time(d.at)}</td><td>${d.backupId}</td><td>${badge(d.ok ? 'passed' : 'failed')}</td><td>${ms(d.durationMs)}</td></tr>`,
      ),
    'no drill yet',
  )}
  </section>`;
}

export function runRow(r: JobRunRow): Html {
  return html`<tr><td>${time(r.scheduledFor)}</td><td>${r.job}</td><td>${badge(r.outcome)}</td><td>${ms(r.durationMs)}</td><td class="error-cell">${r.error ?? ''}</td><td>${r.runner}</td></tr>`;
}

export const RUN_HEAD = ['scheduled for', 'job', 'outcome', 'duration', 'error', 'runner'];

function calendar(v: DashboardView): Html {
  const { days, calendar: rows } = v.jobs;
  if (rows.length === 0) return html`<p class="muted">No scheduled job.</p>`;
  const cell = (c: { ok: number; failed: number; skipped: number }, day: string, job: string) => {
    const label = `${job} on ${day}: ${c.ok} ok, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;
    const cls = c.failed ? 'cal bad' : c.ok ? 'cal good' : 'cal none';
    const text = c.failed ? `${c.failed}✗` : c.ok ? `${c.ok}` : '';
    return html`<td class="${cls}" title="${label}"><span class="sr">${label}</span><span aria-hidden="true">${text}</span></td>`;
  };
  return html`<div class="scroll"><table class="calendar"><caption>Runs per day (UTC), last ${days.length} days: a number is successful runs, ✗ failed runs</caption>
  <thead><tr><th scope="col">job</th>${days.map((d) => html`<th scope="col">${d.slice(5)}</th>`)}</tr></thead>
  <tbody>${rows.map((r) => html`<tr><th scope="row">${r.job}</th>${r.cells.map((c, i) => cell(c, days[i]!, r.job))}</tr>`)}</tbody></table></div>`;
}

export function jobsSection(v: DashboardView, base: string, limit: number): Html {
  const j = v.jobs;
  return html`<section aria-labelledby="jobs"><h2 id="jobs">Scheduled jobs</h2>
  ${table(
    'Schedules',
    ['job', 'schedule', 'next run', 'last run', 'last success'],
    j.schedules.map(
      (s) => html`<tr><td>${s.job}</td><td><code>${s.schedule}</code></td><td>${time(s.nextRunAt)}</td>
        <td>${s.last ? html`${badge(s.last.outcome)} ${time(s.last.startedAt)}` : html`<span class="muted">never</span>`}</td><td>${time(s.lastOkAt)}</td></tr>`,
    ),
    'no schedule for this environment',
  )}
  ${calendar(v)}
  ${chart('jobs', 'Job runs per day: successful and failed', j.days.length)}
  ${table('Recent failures', RUN_HEAD, j.failures.slice(0, limit).map(runRow), 'no failed run')}
  ${j.failures.length > limit ? html`<p><a href="${base}/failures">All ${j.failures.length} failed runs</a></p>` : ''}
  ${table('Recent runs', RUN_HEAD, j.runs.slice(0, limit).map(runRow), 'no run yet')}
  ${j.runs.length > limit ? html`<p><a href="${base}/jobs">All ${j.runs.length} runs</a></p>` : ''}
  </section>`;
}

export function checksSection(v: DashboardView): Html {
  return html`<section aria-labelledby="checks"><h2 id="checks">Doctor checks</h2>
  ${table(
    'Checks of the last refresh',
    ['check', 'status', 'finding', 'what to do'],
    v.checks.map(
      (c) =>
        html`<tr><td>${c.title}</td><td>${badge(c.status)}</td><td>${c.summary}${
          c.details?.length ? html`<ul class="details">${c.details.map((d) => html`<li>${d}</li>`)}</ul>` : ''
        }</td><td>${c.hint ?? ''}</td></tr>`,
    ),
  )}</section>`;
}
