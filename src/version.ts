import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, readAsset } from './assets.js';

/** Which build of pgward is running: written at build time (scripts/build-info.mjs), never asked of git at run time. */
export interface BuildInfo {
  version: string;
  /** The git commit it was built from (`-dirty` when the checkout had uncommitted changes), or `unknown`. */
  commit: string;
  /** `npm`: the package (dist/bin/pgward.js); `exe`: the single executable; `source`: run from src/ without a build. */
  kind: 'npm' | 'exe' | 'source';
  /** When it was built (ISO 8601, UTC; SOURCE_DATE_EPOCH when set). */
  date: string;
}

// The version comes from pgward's package.json when there is one, so the recorded version can never
// disagree with the package; the executable has no package.json beside it and uses its build stamp.
function packageVersion(): string | undefined {
  const root = packageRoot();
  if (!root) return undefined;
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function readBuildInfo(): BuildInfo {
  // Run from src/ (tsx), a stamp in dist/ belongs to some earlier build, not to this code.
  const stamp = import.meta.url.endsWith('.ts') ? undefined : readAsset('dist/build-info.json');
  const info = stamp ? (JSON.parse(stamp.toString('utf8')) as Partial<BuildInfo>) : {};
  return {
    version: packageVersion() ?? info.version ?? '0.0.0-unknown',
    commit: info.commit ?? 'unknown',
    kind: info.kind ?? 'source',
    date: info.date ?? 'unknown',
  };
}

let cached: BuildInfo | undefined;
/**
 * Which build is running: version, commit, kind (npm | exe | source) and build date.
 *
 * @example
 * ```ts
 * import { buildInfo } from 'pgward';
 * const { version, kind, commit } = buildInfo();
 * console.log(`pgward ${version} (${kind} build of ${commit})`); // pgward 0.1.0 (npm build of 3f2c1ab09e4d)
 * ```
 */
export function buildInfo(): BuildInfo {
  cached ??= readBuildInfo();
  return cached;
}

/** What `pgward --version` prints: `0.1.0 (npm, commit 3f2c1ab, built 2026-12-06T15:00:00Z)`. */
export function versionLine(): string {
  const b = buildInfo();
  return `${b.version} (${b.kind}, commit ${b.commit}, built ${b.date})`;
}

export const PGWARD_VERSION: string = buildInfo().version;
