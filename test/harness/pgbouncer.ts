// PgBouncer (Debian's) in front of a test cluster, on a free port, in session or transaction mode. As
// root it runs as the `postgres` user (PgBouncer refuses to run as root). stop() ends it and removes its files.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { type Cluster, freePort, TEST_PASSWORD, TEST_USER } from './cluster.js';

export type PoolMode = 'session' | 'transaction';

export interface PgBouncer {
  port: number;
  mode: PoolMode;
  /** URL of a database through the pooler (same user and password as the cluster). */
  url(database: string): string;
  stop(): void;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function startPgBouncer(cluster: Cluster, mode: PoolMode): Promise<PgBouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-test-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(join(dir, 'users.txt'), `"${TEST_USER}" "${TEST_PASSWORD}"\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${cluster.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'users.txt')}`,
      `pool_mode = ${mode}`,
      'default_pool_size = 20',
      'max_client_conn = 100',
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const root = userInfo().uid === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const f of [dir, ini, join(dir, 'users.txt')]) chownSync(f, uid, gid);
  }
  chmodSync(join(dir, 'users.txt'), 0o600);
  const child: ChildProcess = root
    ? spawn('runuser', ['-u', 'postgres', '--', '/usr/sbin/pgbouncer', ini], { stdio: 'ignore' })
    : spawn('/usr/sbin/pgbouncer', [ini], { stdio: 'ignore' });
  const stop = () => {
    try {
      const pid = Number(readFileSync(join(dir, 'pgbouncer.pid'), 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGINT');
    } catch {
      // not started or already gone
    }
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (await canConnect(port)) {
      return {
        port,
        mode,
        url: (database) =>
          `postgresql://${TEST_USER}:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
        stop,
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  let log = '';
  try {
    log = readFileSync(join(dir, 'pgbouncer.log'), 'utf8');
  } catch {}
  stop();
  throw new Error(`pgbouncer did not start on port ${port}: ${log.slice(-2000)}`);
}
