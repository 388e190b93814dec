// The dashboard's HTTP routes: `/` and `/env/<name>` (the environment page), `/env/<name>/<list>?page=n`
// (paged lists), `/login` and `/logout`, and `/assets/<file>`. Pages are rendered from the last
// refresh's view: a page load never queries the database. Read-only: the only POSTs log in and out.
import type http from 'node:http';
import { asset } from './assets.js';
import type { Sessions } from './auth.js';
import { envPage, errorPage, fleetPage, LISTS, type ListName, listPage, loginPage } from './pages.js';
import type { DashboardView } from './view.js';

export interface DashboardContext {
  /** The environments this server watches (one, or a fleet's every one with `serve --all`). */
  views: () => readonly DashboardView[] | undefined;
  sessions: Sessions;
  pageSize: number;
}

const HTML_TYPE = 'text/html; charset=utf-8';

/** No inline script or style anywhere: scripts and styles come from /assets only. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

type Send = (code: number, type: string, body: string | Buffer, extra?: Record<string, string>) => void;

export function isDashboardPath(path: string): boolean {
  return path === '/' || path === '/login' || path === '/logout' || /^\/(env|assets)\//.test(path);
}

/** Where to go after logging in: a path of this server only (never `//host` or a URL). */
function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

function readForm(req: http.IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    let body = '';
    let tooBig = false;
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
      if (body.length > 8192) {
        tooBig = true;
        req.destroy();
        resolve(undefined);
      }
    });
    req.on('end', () => {
      if (!tooBig) resolve(new URLSearchParams(body));
    });
    req.on('error', () => resolve(undefined));
  });
}

/** A browser POSTing from another origin is refused (the cookie is SameSite=Strict anyway). */
function sameOrigin(req: http.IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser: nothing to forge
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

async function handlePost(req: http.IncomingMessage, path: string, ctx: DashboardContext, send: Send) {
  const page = (code: number, body: string, extra: Record<string, string> = {}) =>
    send(code, HTML_TYPE, body, { ...SECURITY_HEADERS, ...extra });
  if (!sameOrigin(req)) return page(403, errorPage('Forbidden', 'cross-origin form refused'));
  if (path === '/logout')
    return page(303, '', { location: '/login', 'set-cookie': ctx.sessions.logout(req) });
  const form = await readForm(req);
  const next = safeNext(form?.get('next'));
  const cookie = form ? ctx.sessions.login(form.get('token') ?? '', req) : undefined;
  if (!cookie) return page(401, loginPage('Wrong token.', next));
  page(303, '', { location: next, 'set-cookie': cookie });
}

type Route = { index: true } | { view: DashboardView; list?: ListName };

/** `/` is the one environment's page, or a fleet's index; `/env/<name>[/<list>]` one environment's. */
function route(path: string, views: readonly DashboardView[]): Route | undefined {
  if (path === '/') return views.length === 1 ? { view: views[0]! } : { index: true };
  const m = /^\/env\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  if (!m) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  const view = views.find((v) => v.env === name);
  if (!view) return undefined;
  if (m[2] === undefined) return { view };
  return (LISTS as readonly string[]).includes(m[2]) ? { view, list: m[2] as ListName } : undefined;
}

/** Answers a dashboard path (isDashboardPath) on `send`. */
export async function handleDashboard(
  req: http.IncomingMessage,
  url: URL,
  ctx: DashboardContext,
  send: Send,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const page = (code: number, body: string, extra: Record<string, string> = {}) =>
    send(code, HTML_TYPE, body, { ...SECURITY_HEADERS, ...extra });
  if (path.startsWith('/assets/')) {
    const a = asset(path.slice('/assets/'.length));
    if (!a) return page(404, errorPage('Not found', 'no such asset (is the package built?)'));
    return send(200, a.type, a.body, {
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    });
  }
  if (req.method === 'POST') {
    if (path !== '/login' && path !== '/logout')
      return page(405, errorPage('Method not allowed', 'read-only'));
    return handlePost(req, path, ctx, send);
  }
  if (path === '/login')
    return ctx.sessions.open
      ? page(303, '', { location: '/' })
      : page(200, loginPage(undefined, safeNext(url.searchParams.get('next'))));
  if (path === '/logout')
    return page(405, errorPage('Method not allowed', 'log out with the button'), { allow: 'POST' });
  if (!ctx.sessions.allowed(req)) {
    const next = `${url.pathname}${url.search}`;
    return page(303, '', { location: `/login?next=${encodeURIComponent(safeNext(next))}` });
  }
  const views = ctx.views();
  if (!views?.length)
    return page(503, errorPage('Starting', 'the first refresh has not finished yet'), { 'retry-after': '1' });
  const r = route(path, views);
  if (!r) {
    const watched = views.map((v) => v.env).join(', ');
    return page(404, errorPage('Not found', `no such page; this server watches: ${watched}`));
  }
  if ('index' in r) return page(200, fleetPage(views));
  const n = Number(url.searchParams.get('page') ?? '1');
  page(200, r.list ? listPage(r.view, r.list, n, ctx.pageSize) : envPage(r.view));
}
