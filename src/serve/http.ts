// The HTTP side of serve, on node:http: four read-only endpoints answered from the last rendered
// snapshot. /up never touches the database; /metrics, /health/migrations and the detailed /health
// need the bearer token when one is configured (without it /health still answers its status, for
// load balancers).
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { Sessions } from './dashboard/auth.js';
import { handleDashboard, isDashboardPath } from './dashboard/routes.js';
import type { DashboardView } from './dashboard/view.js';
import type { Rendered } from './state.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function authorized(req: http.IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(h);
  if (!m) return false;
  // Comparing fixed-length digests takes the same time whatever the guess, its length included.
  return timingSafeEqual(digest(m[1]!.trim()), digest(token));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The dashboard views a page can show: a fleet's every environment, or the one environment served. */
function dashboardViews(r: Rendered | undefined): readonly DashboardView[] | undefined {
  if (!r) return undefined;
  return r.dashboards ?? (r.dashboard ? [r.dashboard] : undefined);
}

export function createHttpServer(
  current: () => Rendered | undefined,
  token: string | undefined,
  dashboard: { pageSize: number } = { pageSize: 50 },
): http.Server {
  const sessions = new Sessions(token);
  const server = http.createServer((req, res) => {
    const send = (code: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(code, {
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        ...extra,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (isDashboardPath(url.pathname)) {
      handleDashboard(
        req,
        url,
        { views: () => dashboardViews(current()), sessions, pageSize: dashboard.pageSize },
        send,
      ).catch(() => res.destroy());
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, JSON_TYPE, '{"error":"method not allowed"}', { allow: 'GET, HEAD' });
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    if (path === '/up') {
      send(200, JSON_TYPE, `{"status":"up","timestamp":"${new Date().toISOString()}"}`);
      return;
    }
    const r = current();
    const ok = authorized(req, token);
    const denied = () =>
      send(401, JSON_TYPE, '{"error":"bearer token required"}', {
        'www-authenticate': 'Bearer realm="pgward"',
      });
    if (!r) {
      send(503, JSON_TYPE, '{"status":"down","database":"unknown","error":"starting"}');
      return;
    }
    switch (path) {
      case '/health':
        send(r.code, JSON_TYPE, ok ? r.health : r.healthSummary);
        return;
      case '/health/migrations':
        if (!ok) return denied();
        send(r.code, JSON_TYPE, r.migrations);
        return;
      case '/metrics':
        if (!ok) return denied();
        send(200, METRICS_TYPE, r.metrics);
        return;
      default:
        send(
          404,
          JSON_TYPE,
          '{"error":"not found","endpoints":["/up","/health","/health/migrations","/metrics"]}',
        );
    }
  });
  server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts
  return server;
}
