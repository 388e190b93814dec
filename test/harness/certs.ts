// A throwaway certificate authority for the TLS tests (PostgreSQL with ssl=on, rediss://), made by
// openssl in `dir`: ca.crt/ca.key, a server certificate server.crt/server.key signed by it (CN
// localhost, SAN localhost and 127.0.0.1, not ::1), and other-ca.crt, a CA that signed nothing the
// server has (for "does not verify").
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
  const subject = ['-subj', `/CN=pgward test ${name}`];
  openssl(dir, [
    'req',
    '-x509',
    ...KEY,
    '-days',
    '2',
    ...subject,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
  ]);
}

export function makeTestCerts(dir: string): void {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(dir, ['req', ...KEY, '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const signed = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2'];
  openssl(dir, ['x509', '-req', '-in', 'server.csr', ...signed, '-extfile', 'san.ext', '-out', 'server.crt']);
}
