// A small app whose health and responses each test controls: /healthz answers `health` (default 200),
// any other path answers `status` (default 200). Counts what it served, for verification tests.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface AppServer {
  /** e.g. http://127.0.0.1:41235 */
  readonly url: string;
  /** The health URL: `${url}/healthz`. */
  readonly healthUrl: string;
  /** Status /healthz answers from now on. */
  setHealth(status: number): void;
  /** Status every other path answers from now on. */
  setStatus(status: number): void;
  /** Responses served so far, by status. */
  readonly served: Map<number, number>;
  /** Requests to /healthz so far. */
  healthChecks(): number;
  close(): Promise<void>;
}

export async function startAppServer(opts: { health?: number; status?: number } = {}): Promise<AppServer> {
  let health = opts.health ?? 200;
  let status = opts.status ?? 200;
  let checks = 0;
  const served = new Map<number, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const isHealth = (req.url ?? '/').split('?')[0] === '/healthz';
    if (isHealth) checks++;
    const code = isHealth ? health : status;
    served.set(code, (served.get(code) ?? 0) + 1);
    res.writeHead(code, { 'Content-Type': 'text/plain' }).end(code < 400 ? 'ok\n' : 'error\n');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url,
    healthUrl: `${url}/healthz`,
    setHealth: (s) => {
      health = s;
    },
    setStatus: (s) => {
      status = s;
    },
    served,
    healthChecks: () => checks,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
