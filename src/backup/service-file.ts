// A private libpq service file (mode 0600 in a 0700 directory) for connection parameters that are
// secrets and have no environment variable (sslpassword): the child reads them from the file, so they
// never appear in its argv. Files live as long as this process (a child may still be starting when the
// caller returns) and are removed at exit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

const SERVICE = 'pgward';
let dir: string | undefined;
const written = new Map<string, string>();

function privateDir(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'pgward-svc-')); // mkdtemp creates it 0700
    const created = dir;
    process.once('exit', () => rmSync(created, { recursive: true, force: true }));
  }
  return dir;
}

/** Writes (once per distinct content) a service file with one `[pgward]` section holding `params`. */
export function privateServiceFile(params: Record<string, string>): { path: string; service: string } {
  for (const [k, v] of Object.entries(params)) {
    // The service file format is one `key=value` per line: a line break would end the value.
    if (/[\r\n]/.test(v)) throw new UsageError(`${k} in the database URL must not contain a line break`);
  }
  const content = `[${SERVICE}]\n${Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
  let path = written.get(content);
  if (!path) {
    path = join(privateDir(), `pg_service.${written.size}.conf`);
    writeFileSync(path, content, { mode: 0o600 });
    written.set(content, path);
  }
  return { path, service: SERVICE };
}
