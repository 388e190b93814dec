// A throwaway redis-server for one test file: a free port, saving off, its own temp folder; stopped
// (and the folder removed) by stop(). Never the system's Redis.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './cluster.js';

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  client: Redis;
  /** With `tls`: the PEM file of the test CA that signed the server's certificate (for 127.0.0.1). */
  caFile?: string;
  /** Writes the dataset to an RDB file (SAVE into `dir`) and returns its path. */
  save(): Promise<string>;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it (openssl), in `dir`. */
function makeCerts(dir: string): void {
  const ossl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=pgward test CA',
  );
  ossl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ossl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
}

export async function startRedis(opts: { password?: string; tls?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-redis-'));
  const port = await freePort();
  if (opts.tls) makeCerts(dir);
  const tlsArgs = [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    join(dir, 'server.crt'),
    '--tls-key-file',
    join(dir, 'server.key'),
    '--tls-ca-cert-file',
    join(dir, 'ca.crt'),
    '--tls-auth-clients',
    'no',
  ];
  const child: ChildProcess = spawn(
    'redis-server',
    [
      ...(opts.tls ? tlsArgs : ['--port', String(port)]),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--dbfilename',
      'dump.rdb',
      ...(opts.password ? ['--requirepass', opts.password] : []),
    ],
    { stdio: 'ignore' },
  );
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    ...(opts.password ? { password: opts.password } : {}),
    ...(opts.tls ? { tls: { ca: readFileSync(join(dir, 'ca.crt')) } } : {}),
  });
  client.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (err) {
      if (i > 200) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const scheme = opts.tls ? 'rediss' : 'redis';
  return {
    url: opts.password
      ? `${scheme}://default:${encodeURIComponent(opts.password)}@127.0.0.1:${port}`
      : `${scheme}://127.0.0.1:${port}`,
    port,
    dir,
    ...(opts.tls ? { caFile: join(dir, 'ca.crt') } : {}),
    client,
    save: async () => {
      await client.save();
      return join(dir, 'dump.rdb');
    },
    stop: async () => {
      client.disconnect();
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
