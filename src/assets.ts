// Files pgward reads at run time that are not code: the SQL parser's WebAssembly, the build stamp
// (dist/build-info.json), and whatever else scripts/exe-assets.mjs lists. Inside the single executable
// (`npm run build:exe`, docs/install.md) they are assets embedded at build time; everywhere else they
// are read from the installed package, by their path relative to the package root. One helper for
// both, so no caller needs to know which build it runs in.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type SeaModule = typeof import('node:sea');

let sea: SeaModule | null | undefined;
function seaModule(): SeaModule | null {
  if (sea === undefined) {
    try {
      const mod = createRequire(import.meta.url)('node:sea') as SeaModule;
      sea = mod.isSea() ? mod : null;
    } catch {
      sea = null; // Node < 20.12 has no node:sea, so this is not an executable
    }
  }
  return sea;
}

/** True inside the single executable built by `npm run build:exe`. */
export function inExecutable(): boolean {
  return seaModule() !== null;
}

let root: string | null | undefined;
/**
 * The folder of pgward's own package.json (the compiled library, the bundled CLI and the sources sit
 * at different depths below it); undefined inside the executable, which has no package beside it.
 */
export function packageRoot(): string | undefined {
  if (root === undefined) {
    root = null;
    if (!inExecutable()) {
      let dir = dirname(fileURLToPath(import.meta.url));
      for (let i = 0; i < 4 && root === null; i++, dir = dirname(dir)) {
        try {
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
          if (pkg.name === 'pgward') root = dir;
        } catch {
          // not at this depth
        }
      }
    }
  }
  return root ?? undefined;
}

/**
 * The bytes of a run-time file: the embedded asset `key` inside the executable, else the file
 * `<package root>/<key>`; undefined when neither exists.
 */
export function readAsset(key: string): Buffer | undefined {
  const embedded = seaModule();
  if (embedded) {
    try {
      return Buffer.from(embedded.getAsset(key));
    } catch {
      return undefined;
    }
  }
  const base = packageRoot();
  if (!base) return undefined;
  try {
    return readFileSync(join(base, key));
  } catch {
    return undefined;
  }
}
