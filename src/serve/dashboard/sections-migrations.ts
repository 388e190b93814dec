// Dashboard sections about changes: migrations (pending with their approvals, drift, the applied
// timeline with gate decisions), the latest rehearsal, and the deploy journal.
import type { AppliedMigrationRow, DeployRow, Finding } from './collect.js';
import { badge, type Html, html, ms, type Page, pager, table, time } from './html.js';
import type { DashboardView, PendingRow } from './view.js';

const findings = (list: Finding[]): Html =>
  list.length
    ? html`<ul class="findings">${list.map((f) => html`<li>${f.rule} (${f.category}, line ${f.line})</li>`)}</ul>`
    : html`<span class="muted">no findings</span>`;

function gateCell(p: PendingRow): Html {
  const g = p.gate;
  if (!g) return html`<span class="muted">—</span>`;
  return html`${badge(g.decision)}${g.reasons.length ? html`<ul class="findings">${g.reasons.map((r) => html`<li>${r.rule} (${r.severity}, line ${r.line}): ${r.message}</li>`)}</ul>` : ''}`;
}

function pendingRow(p: PendingRow): Html {
  const a = p.approval;
  return html`<tr><td>${p.version}</td><td>${p.name}</td><td>${time(p.pendingSince)}</td><td>${gateCell(p)}</td>
    <td>${a ? html`${badge('approved')} by ${a.by} at ${time(a.at)}${findings(a.findings)}` : html`<span class="muted">not approved</span>`}</td></tr>`;
}

export function appliedRow(m: AppliedMigrationRow): Html {
  const gate = m.approval
    ? html`approved by ${m.approval.by} at ${time(m.approval.at)}${findings(m.approval.findings)}`
    : html`passed the gate`;
  return html`<tr><td>${time(m.appliedAt)}</td><td>${m.version}</td><td>${m.name}</td><td>${ms(m.durationMs)}</td><td>${m.appliedBy}</td><td>${gate}</td></tr>`;
}

export const APPLIED_HEAD = ['applied', 'version', 'name', 'duration', 'by', 'gate decision'];

export function migrationsSection(v: DashboardView, base: string, limit: number): Html {
  const info = v.migrations.info;
  const status = !info
    ? 'unknown'
    : info.attention.length
      ? 'attention'
      : info.pending.length
        ? 'pending'
        : 'up_to_date';
  const applied = v.migrations.applied;
  return html`<section aria-labelledby="migrations"><h2 id="migrations">Migrations</h2>
  <dl class="facts">
    <div><dt>status</dt><dd>${badge(status)}</dd></div>
    <div><dt>pending</dt><dd data-testid="pending-count">${info ? info.pending.length : '—'}</dd></div>
    <div><dt>applied</dt><dd>${info ? info.applied : '—'}</dd></div>
    <div><dt>need attention</dt><dd>${info ? info.attention.length : '—'}</dd></div>
    <div><dt>framework</dt><dd>${info?.framework ?? '—'} (${info?.trackingTable ?? '—'})</dd></div>
  </dl>
  ${info?.error ? html`<p class="error">${info.error}</p>` : ''}
  ${table('Pending migrations', ['version', 'name', 'pending since', 'gate decision', 'approval'], v.migrations.pending.map(pendingRow))}
  ${
    info?.attention.length
      ? table(
          'Drifted, missing, partial or failed',
          ['version', 'name', 'state'],
          info.attention.map(
            (a) =>
              html`<tr><td>${a.version}</td><td>${a.name}</td><td>${badge(a.state)}${a.direction ? ` (${a.direction})` : ''}</td></tr>`,
          ),
        )
      : ''
  }
  <figure class="chart" data-chart="migrations"><div class="plot"></div>
    <figcaption>Migration timeline: migrations recorded by pgward over time (${applied.length})</figcaption>
    <p class="nojs">The chart needs JavaScript; the table lists the same migrations.</p></figure>
  ${table('Applied migrations, newest first', APPLIED_HEAD, applied.slice(0, limit).map(appliedRow), 'none recorded by pgward')}
  ${applied.length > limit ? html`<p><a href="${base}/migrations">All ${applied.length} applied migrations</a></p>` : ''}
  </section>`;
}

export function rehearsalSection(v: DashboardView): Html {
  const r = v.rehearsal;
  return html`<section aria-labelledby="rehearsal"><h2 id="rehearsal">Latest rehearsal</h2>
  ${
    r
      ? html`<p>${badge(r.ok ? 'passed' : 'failed')} at ${time(r.at)} for ${r.env}, exit code ${r.exitCode}.</p>
        ${table(
          'Migrations rehearsed',
          ['migration and verdict'],
          r.migrations.map((m) => html`<tr><td>${m}</td></tr>`),
        )}`
      : html`<p class="muted">No rehearsal recorded in this database (<code>pgward rehearse</code> records one).</p>`
  }</section>`;
}

export function deployRow(d: DeployRow): Html {
  return html`<tr><td>${time(d.startedAt)}</td><td>${d.id}</td><td>${badge(d.status)}</td><td>${d.actor}</td>
    <td>${d.provider}${d.commit ? html`<br>commit ${d.commit}` : ''}${d.image ? html`<br>image ${d.image}` : ''}</td>
    <td><ol class="steps">${d.steps.map((s) => html`<li>${s.name}: ${badge(s.status)} ${s.detail}${s.durationMs !== null ? ` (${ms(s.durationMs)})` : ''}</li>`)}</ol></td>
    <td>${d.migrations.map((m) => html`${m.version} ${m.name}${m.compatible ? '' : ' (breaking)'}<br>`)}</td></tr>`;
}

export const DEPLOY_HEAD = ['started', 'deploy', 'status', 'by', 'what', 'steps', 'migrations'];

export function deploysSection(v: DashboardView, base: string, limit: number): Html {
  return html`<section aria-labelledby="deploys"><h2 id="deploys">Deploys</h2>
  ${table('Deploys, newest first', DEPLOY_HEAD, v.deploys.slice(0, limit).map(deployRow), 'no deploy in the journal')}
  ${v.deploys.length > limit ? html`<p><a href="${base}/deploys">All ${v.deploys.length} deploys</a></p>` : ''}
  </section>`;
}

export function pagedTable<T>(
  caption: string,
  head: string[],
  p: Page<T>,
  row: (x: T) => Html,
  base: string,
): Html {
  return html`${pager(base, p)}${table(caption, head, p.rows.map(row))}${pager(base, p)}`;
}
