// Locating pgward.yaml is cheap (a few stat calls); parsing it loads yaml and zod, so that lives in
// load.ts and is only imported when a file exists.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_NAMES = ['pgward.yaml', 'pgward.yml'];

/**
 * Looks for pgward.yaml in `from` and its parents.
 *
 * @example
 * ```ts
 * import { findConfig, loadConfig } from 'pgward';
 * const path = findConfig();
 * const config = path ? loadConfig(path) : undefined;
 * ```
 */
export function findConfig(from = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
