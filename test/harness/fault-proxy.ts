// A fault-injecting HTTP proxy between the S3 client and s3rver: requests matching a rule get a 403,
// a 500, no answer at all (timeout), or the real response with its body cut short; everything else is
// forwarded untouched. Rules can be changed while the proxy runs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = '403' | '500' | 'timeout' | 'truncate' | 'pass';

export interface FaultRule {
  /** HTTP method (GET, PUT, DELETE, HEAD...); any when omitted. */
  method?: string;
  /** Tested against the request path + query (path-style: /bucket/prefix/key?...). */
  path: RegExp;
  fault: Fault;
  /** Runs before the request is handled (e.g. another client changing the store at that moment). */
  hook?: () => Promise<void>;
}

export interface FaultProxy {
  endpoint: string;
  rules: FaultRule[];
  /** Requests answered with a fault, as "METHOD path fault". */
  hits: string[];
  close(): Promise<void>;
}

const S3_ERROR = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} (injected)</Message></Error>`;

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const proxy: FaultProxy = { endpoint: '', rules: [], hits: [], close: async () => {} };
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const rule = proxy.rules.find((r) => (!r.method || r.method === req.method) && r.path.test(url));
    if (rule) proxy.hits.push(`${req.method} ${url} ${rule.fault}`);
    if (rule?.hook) {
      req.pause();
      rule.hook().then(
        () => handle(req, res, url, rule),
        () => res.destroy(),
      );
    } else handle(req, res, url, rule);
  });
  function handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: string,
    rule: FaultRule | undefined,
  ): void {
    if (rule?.fault === '403' || rule?.fault === '500') {
      req.resume();
      const code = rule.fault === '403' ? 'AccessDenied' : 'InternalError';
      res.writeHead(Number(rule.fault), { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? undefined : S3_ERROR(code));
      return;
    }
    if (rule?.fault === 'timeout') {
      req.resume();
      hanging.add(res); // never answered; closed when the proxy stops
      return;
    }
    const up = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: url,
        headers: req.headers,
      },
      (upRes) => {
        if (rule?.fault !== 'truncate') {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
          return;
        }
        // Announce the full length, send half of it, then cut the connection.
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          const body = Buffer.concat(chunks);
          res.writeHead(upRes.statusCode ?? 502, { ...upRes.headers, 'content-length': String(body.length) });
          res.write(body.subarray(0, Math.floor(body.length / 2)));
          setTimeout(() => res.socket?.destroy(), 20);
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = async () => {
    for (const r of hanging) r.socket?.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
