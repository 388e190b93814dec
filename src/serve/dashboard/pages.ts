// Whole dashboard pages: the environment page (every section), the paged lists behind it, the login
// form and the error page. Styles and scripts are external files under /assets (the CSP forbids
// inline ones); the chart data travels in a JSON <script> block, which the browser never executes.
import { badge, type Html, html, paginate, time, trusted } from './html.js';
import {
  APPLIED_HEAD,
  appliedRow,
  DEPLOY_HEAD,
  deployRow,
  deploysSection,
  migrationsSection,
  pagedTable,
  rehearsalSection,
} from './sections-migrations.js';
import {
  BACKUP_HEAD,
  backupRow,
  backupsSection,
  checksSection,
  jobsSection,
  RUN_HEAD,
  runRow,
} from './sections-ops.js';
import type { DashboardView } from './view.js';

/** Rows of each list shown on the environment page itself (the rest is one click away, paged). */
const SUMMARY_ROWS = 10;

function layout(title: string, body: Html, scripts = true): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/assets/uPlot.min.css"><link rel="stylesheet" href="/assets/dashboard.css">
${scripts ? html`<script src="/assets/uPlot.iife.min.js" defer></script><script src="/assets/dashboard.js" defer></script>` : ''}
</head><body>${body}</body></html>`.value;
}

function header(v: DashboardView): Html {
  const base = `/env/${encodeURIComponent(v.env)}`;
  return html`<header><h1><a href="${base}">${v.label ?? v.env}</a>${v.label ? html` <span class="muted">(${v.env})</span>` : ''}</h1>
  <dl class="facts">
    <div><dt>health</dt><dd data-testid="health">${badge(v.status)}</dd></div>
    <div><dt>server</dt><dd>${v.serverVersion ? `PostgreSQL ${v.serverVersion}` : '—'}</dd></div>
    <div><dt>refreshed</dt><dd>${time(v.refreshedAt)}</dd></div>
  </dl>
  <nav aria-label="sections"><a href="${base}#migrations">Migrations</a> <a href="${base}#backups">Backups</a>
  <a href="${base}#jobs">Jobs</a> <a href="${base}#checks">Checks</a> <a href="${base}#rehearsal">Rehearsal</a>
  <a href="${base}#deploys">Deploys</a></nav>
  <form method="post" action="/logout" class="logout"><button type="submit">Log out</button></form>
  ${v.alerts.length ? html`<div class="alerts" role="status"><strong>Active alerts:</strong> ${v.alerts.map((a) => html`<span class="badge bad">${a}</span> `)}</div>` : ''}
  ${v.errors.map((e) => html`<p class="error">${e}</p>`)}
  </header>`;
}

export function envPage(v: DashboardView): string {
  const base = `/env/${encodeURIComponent(v.env)}`;
  return layout(
    `pgward: ${v.label ?? v.env} (${v.status})`,
    html`${header(v)}<main>
    ${migrationsSection(v, base, SUMMARY_ROWS)}
    ${backupsSection(v, base, SUMMARY_ROWS)}
    ${jobsSection(v, base, SUMMARY_ROWS)}
    ${checksSection(v)}
    ${rehearsalSection(v)}
    ${deploysSection(v, base, SUMMARY_ROWS)}
    </main>
    <script type="application/json" id="chart-data">${trusted(v.chartsJson)}</script>`,
  );
}

export const LISTS = ['jobs', 'failures', 'backups', 'migrations', 'deploys'] as const;
export type ListName = (typeof LISTS)[number];

/** One page of a long list (?page=n), rendered from the snapshot's view: no database access. */
export function listPage(v: DashboardView, list: ListName, page: number, size: number): string {
  const base = `/env/${encodeURIComponent(v.env)}/${list}`;
  const [title, body] = ((): [string, Html] => {
    switch (list) {
      case 'jobs':
        return [
          'Job runs',
          pagedTable('Job runs, newest first', RUN_HEAD, paginate(v.jobs.runs, page, size), runRow, base),
        ];
      case 'failures':
        return [
          'Failed job runs',
          pagedTable(
            'Failed runs, newest first',
            RUN_HEAD,
            paginate(v.jobs.failures, page, size),
            runRow,
            base,
          ),
        ];
      case 'backups':
        return [
          'Backups',
          pagedTable(
            'Backups, newest first',
            BACKUP_HEAD,
            paginate(v.backups.list, page, size),
            backupRow,
            base,
          ),
        ];
      case 'migrations':
        return [
          'Applied migrations',
          pagedTable(
            'Applied migrations, newest first',
            APPLIED_HEAD,
            paginate(v.migrations.applied, page, size),
            appliedRow,
            base,
          ),
        ];
      case 'deploys':
        return [
          'Deploys',
          pagedTable('Deploys, newest first', DEPLOY_HEAD, paginate(v.deploys, page, size), deployRow, base),
        ];
    }
  })();
  return layout(
    `pgward: ${v.label ?? v.env}: ${title}`,
    html`${header(v)}<main><section aria-labelledby="list"><h2 id="list">${title}</h2>${body}</section></main>`,
    false,
  );
}

export function loginPage(error: string | undefined, next: string): string {
  return layout(
    'pgward: log in',
    html`<main class="login"><h1>pgward serve</h1>
    <form method="post" action="/login">
      <label for="token">Serve token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required>
      <input type="hidden" name="next" value="${next}">
      <button type="submit">Log in</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    <p class="muted">The token is the value of the variable named by <code>serve.token_env</code> (default PGWARD_SERVE_TOKEN).</p></main>`,
    false,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(
    `pgward: ${title}`,
    html`<main><h1>${title}</h1><p>${message}</p><p><a href="/">Dashboard</a></p></main>`,
    false,
  );
}

/** `serve --all`: one row per environment, each linking to its page (the same badges and counts). */
export function fleetPage(views: readonly DashboardView[]): string {
  const rows = views.map((v) => {
    const base = `/env/${encodeURIComponent(v.env)}`;
    const newest = v.backups.list[0];
    return html`<tr><th scope="row"><a href="${base}">${v.label ?? v.env}</a>${v.label ? html` <span class="muted">(${v.env})</span>` : ''}</th>
    <td>${badge(v.status)}</td><td>${v.serverVersion ?? '—'}</td>
    <td>${v.migrations.info ? v.migrations.info.pending.length : '—'}</td>
    <td>${v.jobs.failures.length}</td><td>${newest ? time(newest.startedAt) : '—'}</td><td>${time(v.refreshedAt)}</td></tr>`;
  });
  return layout(
    `pgward: ${views.length} environments`,
    html`<header><h1>pgward: ${views.length} environments</h1>
    <form method="post" action="/logout" class="logout"><button type="submit">Log out</button></form></header>
    <main><table data-testid="fleet"><caption>Environments watched by this server</caption>
    <thead><tr><th scope="col">environment</th><th scope="col">health</th><th scope="col">PostgreSQL</th>
    <th scope="col">pending</th><th scope="col">failed jobs</th><th scope="col">newest backup</th><th scope="col">refreshed</th></tr></thead>
    <tbody>${rows}</tbody></table></main>`,
    false,
  );
}
