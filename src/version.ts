import { readFileSync } from 'node:fs';

// Read from pgward's package.json at run time so the recorded version can never disagree with the
// package. The compiled library (dist/) and the bundled CLI (dist/bin/) sit at different depths, so
// look upwards for it.
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'pgward' && pkg.version) return pkg.version;
    } catch {
      // not at this depth
    }
  }
  return '0.0.0-unknown';
}

export const PGWARD_VERSION: string = readVersion();
