// A small app server whose health each test controls: GET /healthz answers `health` (200 by default),
// every other path answers 200 or, with `errorRate`, a share of 503s. Tests point deploy.verify.health_url
// at it, and the Render simulator can read its counts as the service's HTTP metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppServer {
  url: string;
  healthUrl: string;
  /** Status /healthz answers; change it at any time. */
  health: number;
  /** Share (0..1) of non-health requests answered 503. */
  errorRate: number;
  /** Requests seen so far (health checks included) and how many were answered 5xx. */
  counts: { total: number; errors: number };
  /** Health checks seen. */
  healthChecks: number;
  close(): Promise<void>;
}

export async function startAppServer(): Promise<AppServer> {
  let served = 0;
  const state = {
    health: 200,
    errorRate: 0,
    counts: { total: 0, errors: 0 },
    healthChecks: 0,
  };
  const server: Server = createServer((req, res) => {
    let status: number;
    if (req.url?.startsWith('/healthz')) {
      state.healthChecks++;
      status = state.health;
    } else {
      served++;
      // Deterministic: every k-th request fails for errorRate = 1/k.
      status = state.errorRate > 0 && (served * state.errorRate) % 1 < state.errorRate ? 503 : 200;
    }
    state.counts.total++;
    if (status >= 500) state.counts.errors++;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status < 300 ? 'ok' : 'unhealthy');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return Object.assign(state, {
    url,
    healthUrl: `${url}/healthz`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
