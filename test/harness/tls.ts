// A PostgreSQL cluster that accepts TLS only (hba `hostssl`), with the test CA's server certificate
// (certs.ts: CN localhost, SAN localhost and 127.0.0.1, not ::1) and a second CA that signed nothing
// the server has (for "does not verify").
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { makeTestCerts } from './certs.js';
import { type Cluster, startCluster } from './cluster.js';
import { adminQuery } from './db.js';

export interface TlsCluster {
  cluster: Cluster;
  /** The CA that signed the server certificate. */
  ca: string;
  /** A CA that did not. */
  otherCa: string;
  stop(): void;
}

/** Starts a cluster with ssl=on that refuses plain TCP connections. */
export async function startTlsCluster(): Promise<TlsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-test-tls-'));
  chmodSync(dir, 0o755);
  makeTestCerts(dir);
  chmodSync(join(dir, 'server.key'), 0o600);
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(join(dir, 'server.key'), uid, gid);
  }
  const cluster = await startCluster({
    settings: {
      ssl: 'on',
      ssl_cert_file: `'${join(dir, 'server.crt')}'`,
      ssl_key_file: `'${join(dir, 'server.key')}'`,
    },
  });
  // TCP only with TLS; the socket stays open for the test's own setup.
  const hba = join(cluster.dir, 'data', 'pg_hba.conf');
  writeFileSync(
    hba,
    'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n',
  );
  await adminQuery(socketUrl(cluster), 'SELECT pg_reload_conf()');
  return {
    cluster,
    ca: join(dir, 'ca.crt'),
    otherCa: join(dir, 'other-ca.crt'),
    stop: () => {
      cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The cluster over its Unix socket (trust), for the test's own setup queries. */
export function socketUrl(cluster: Cluster, database = 'postgres'): string {
  return `postgresql://pgward_test@/${database}?host=${encodeURIComponent(cluster.socketDir)}&port=${cluster.port}`;
}

/** A URL of the cluster over TCP with TLS settings appended. */
export function tlsUrl(cluster: Cluster, database: string, params: string, host = '127.0.0.1'): string {
  const u = new URL(cluster.url(database));
  u.hostname = host;
  return `${u.toString()}?${params}`;
}
