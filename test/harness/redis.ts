// A throwaway redis-server for one test file: a free port, saving off, its own temp folder; stopped
// (and the folder removed) by stop(). Never the system's Redis.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { makeTestCerts } from './certs.js';
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

export async function startRedis(opts: { password?: string; tls?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-redis-'));
  const port = await freePort();
  if (opts.tls) makeTestCerts(dir);
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
