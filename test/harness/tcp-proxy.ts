// A TCP proxy between pgward (or pg_dump) and a test cluster that the test can cut: every open connection
// is destroyed at once, as a network drop or a platform's proxy restart does, and new connections can be
// refused for a while. With `delayMs`, every chunk waits that long in each direction (order kept): a
// network with a round trip of twice that, for benchmarks. (fault-proxy.ts is its HTTP counterpart for S3.)
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { TEST_PASSWORD, TEST_USER } from './cluster.js';

export interface TcpProxy {
  port: number;
  /** URL of a database through the proxy. */
  url(database: string): string;
  /** Connections open right now. */
  open(): number;
  /** The most connections seen open at once. */
  peak(): number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Bytes relayed from the server so far. */
  bytesFromServer(): number;
  /** Destroys every open connection (both sides). */
  cut(): void;
  /** While true, new connections are closed as soon as they arrive. */
  refuse: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(
  upstreamPort: number,
  upstreamHost = '127.0.0.1',
  opts: { delayMs?: number } = {},
): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let fromServer = 0;
  let peak = 0;
  let accepted = 0;
  const proxy: TcpProxy = {
    port: 0,
    url: (database) =>
      `postgresql://${TEST_USER}:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${proxy.port}/${encodeURIComponent(database)}`,
    open: () => pairs.size,
    peak: () => peak,
    accepted: () => accepted,
    bytesFromServer: () => fromServer,
    cut: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    refuse: false,
    close: async () => {},
  };
  const server: Server = createServer((client) => {
    if (proxy.refuse) {
      client.destroy();
      return;
    }
    const up = tcpConnect({ host: upstreamHost, port: upstreamPort });
    const pair: [Socket, Socket] = [client, up];
    pairs.add(pair);
    accepted++;
    peak = Math.max(peak, pairs.size);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      up.destroy();
    };
    up.on('data', (d: Buffer) => {
      fromServer += d.length;
    });
    if (opts.delayMs) {
      relayLate(client, up, opts.delayMs);
      relayLate(up, client, opts.delayMs);
    } else {
      client.pipe(up);
      up.pipe(client);
    }
    client.on('error', drop);
    up.on('error', drop);
    client.on('close', drop);
    up.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  proxy.port = typeof addr === 'object' && addr ? addr.port : 0;
  proxy.close = async () => {
    proxy.cut();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

/** Relays `from` to `to`, each chunk `ms` later (timers of one duration fire in order). */
function relayLate(from: Socket, to: Socket, ms: number): void {
  from.on('data', (d: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(d);
    }, ms);
  });
  from.on('end', () => setTimeout(() => to.end(), ms));
}
