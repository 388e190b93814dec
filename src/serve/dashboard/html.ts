// HTML for the dashboard, built with one tagged template: every interpolated value is escaped by
// `esc` unless it is itself the output of `html` (already safe). There is no other way to put a
// string into a page, so a migration name, a job error or a label from the database or the config
// always shows as text, never as markup.

/** Markup that is already safe (built by `html`). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** The one escape function: text → HTML text or attribute value (quoted). */
export function esc(v: unknown): string {
  return String(v).replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

type Value = Html | string | number | boolean | null | undefined | Value[];

function part(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(part).join('');
  return esc(v);
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup produced outside `html` that is known to be safe (the escaped chart JSON). */
export const trusted = (s: string): Html => new Html(s);

export function when(cond: unknown, then: () => Html): Html | '' {
  return cond ? then() : '';
}

/** "2026-12-06 15:04 UTC" in a <time> element carrying the exact instant. */
export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  if (n < 3_600_000) return `${Math.floor(n / 60_000)} min ${Math.round((n % 60_000) / 1000)} s`;
  return `${(n / 3_600_000).toFixed(1)} h`;
}

/** A status word with a class for colour; the word itself carries the meaning (not colour alone). */
export function badge(status: string): Html {
  const cls = /^(ok|pass|passed|succeeded|done|up_to_date|applied|connected|apply|approved)$/.test(status)
    ? 'good'
    : /^(fail|failed|down|blocked|rollback_failed|attention|unreachable)$/.test(status)
      ? 'bad'
      : /^(warn|degraded|pending|running|skipped|rolled_back|interrupted)$/.test(status)
        ? 'warn'
        : 'neutral';
  return html`<span class="badge ${cls}">${status}</span>`;
}

export interface Page<T> {
  rows: T[];
  page: number;
  pages: number;
  total: number;
}

/** Server-side paging: page n (1-based, clamped) of `size` rows. */
export function paginate<T>(list: T[], page: number, size: number): Page<T> {
  const pages = Math.max(1, Math.ceil(list.length / size));
  const p = Math.min(Math.max(1, Number.isFinite(page) ? Math.floor(page) : 1), pages);
  return { rows: list.slice((p - 1) * size, p * size), page: p, pages, total: list.length };
}

export function pager(base: string, p: Page<unknown>): Html {
  if (p.pages <= 1) return html``;
  const link = (n: number, text: string, rel: string) =>
    html`<a href="${base}?page=${n}" rel="${rel}">${text}</a>`;
  return html`<nav class="pager" aria-label="pages">
    ${p.page > 1 ? link(p.page - 1, '← newer', 'prev') : ''}
    <span>page ${p.page} of ${p.pages} (${p.total} rows)</span>
    ${p.page < p.pages ? link(p.page + 1, 'older →', 'next') : ''}
  </nav>`;
}

export function table(caption: string, head: string[], rows: Html[], empty = 'none'): Html {
  if (rows.length === 0) return html`<p class="muted">${caption}: ${empty}.</p>`;
  return html`<table><caption>${caption}</caption><thead><tr>${head.map(
    (h) => html`<th scope="col">${h}</th>`,
  )}</tr></thead><tbody>${rows}</tbody></table>`;
}
