// The HTTP side of serve, on node:http: four read-only endpoints answered from the last rendered
// snapshot. /up never touches the database; /metrics, /health/migrations and the detailed /health
// need the bearer token when one is configured (without it /health still answers its status, for
// load balancers).
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Sessions } from './dashboard/auth.js';
import { handleDashboard, isDashboardPath } from './dashboard/routes.js';
import type { DashboardView } from './dashboard/view.js';
import type { Rendered } from './state.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const gzipAsync = promisify(gzip);
/** Bodies smaller than this are sent as they are: compressing them saves less than it costs. */
const GZIP_FROM_BYTES = 16 * 1024;

/**
 * A large body (a fleet's /metrics is about 7 KiB per environment) is encoded, and gzipped for a
 * client that accepts it (Prometheus does), once per rendered snapshot, off the event loop, and shared
 * by every request that reads the same snapshot: a scrape writes a buffer, it never recompresses.
 */
const encoded = new WeakMap<Rendered, Map<string, Promise<Buffer>>>();
function gzipped(r: Rendered, key: string, body: string): Promise<Buffer> {
  const m = encoded.get(r) ?? new Map<string, Promise<Buffer>>();
  encoded.set(r, m);
  const p = m.get(key) ?? gzipAsync(body, { level: 1 });
  m.set(key, p);
  return p;
}
/**
 * Compresses a snapshot's large bodies now, in the background (a fleet calls it when it combines a new
 * snapshot): the first scrape after a change then finds them ready instead of waiting for gzip.
 */
export function precompress(r: Rendered): void {
  const bodies = {
    metrics: r.metrics,
    health: r.health,
    healthSummary: r.healthSummary,
    migrations: r.migrations,
  };
  for (const [key, body] of Object.entries(bodies))
    if (body.length >= GZIP_FROM_BYTES) gzipped(r, key, body).catch(() => {});
}

const acceptsGzip = (req: http.IncomingMessage) =>
  /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));

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
    /** A snapshot's body, gzipped when it is large and the client accepts it. */
    const sendBody = (code: number, type: string, key: string, body: string) => {
      if (!r || body.length < GZIP_FROM_BYTES || !acceptsGzip(req)) return send(code, type, body);
      gzipped(r, key, body).then(
        (z) => send(code, type, z, { 'content-encoding': 'gzip', vary: 'accept-encoding' }),
        () => send(code, type, body),
      );
    };
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
        if (ok) sendBody(r.code, JSON_TYPE, 'health', r.health);
        else sendBody(r.code, JSON_TYPE, 'healthSummary', r.healthSummary);
        return;
      case '/health/migrations':
        if (!ok) return denied();
        sendBody(r.code, JSON_TYPE, 'migrations', r.migrations);
        return;
      case '/metrics':
        if (!ok) return denied();
        sendBody(200, METRICS_TYPE, 'metrics', r.metrics);
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
