// What the linter reads: paths expanded to .sql files, and each file cut into the sections analysed
// (a migration's up and, when asked, down section; any other file whole, as a plain script).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { FILE_PATTERN, type MigrationFile, parseMigration } from '../files/migration-files.js';
import { type PreparedSection, prepareSection } from './analyze.js';

/** One file: its display name, migration version and the sections to analyse. */
export interface Unit {
  file: string;
  version?: string;
  sections: PreparedSection[];
}

/**
 * Expands folders to their .sql files (sorted, recursive); files are taken as given.
 *
 * @example
 * ```ts
 * import { expandPaths } from 'pgward/lint';
 * console.log(expandPaths(['db/migrations']));
 * ```
 */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (p: string, top: boolean) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort())
        if (!e.startsWith('.') && e !== 'node_modules') visit(join(p, e), false);
    } else if (top || p.endsWith('.sql')) out.push(p);
  };
  for (const p of paths) visit(p, true);
  return out;
}

/** `cache: false` parses without keeping the trees in the split cache (a lint of many files, once each). */
export function migrationUnit(m: MigrationFile, display: string, down: boolean, cache = true): Unit {
  const sections = [
    prepareSection(
      {
        text: m.up.text,
        startLine: m.up.startLine,
        wrapped: m.transaction,
        pgwardRunner: true,
      },
      cache,
    ),
  ];
  if (down && m.down)
    sections.push(
      prepareSection(
        {
          text: m.down.text,
          startLine: m.down.startLine,
          wrapped: m.transaction,
          pgwardRunner: true,
        },
        cache,
      ),
    );
  return { file: display, version: m.version, sections };
}

/** A migration file (<version>_<name>.sql) is analysed section by section; any other file whole, as a plain script. */
export function fileUnit(path: string, content: string, display: string, down: boolean, cache = true): Unit {
  const name = path.split(/[\\/]/).pop() ?? path;
  if (FILE_PATTERN.test(name)) return migrationUnit(parseMigration(path, content), display, down, cache);
  return {
    file: display,
    sections: [
      prepareSection(
        {
          text: content.replace(/^\uFEFF/, ''),
          startLine: 1,
          wrapped: false,
          pgwardRunner: false,
        },
        cache,
      ),
    ],
  };
}

/** SQL another tool runs: whole, without pgward's timeouts, in one transaction when `wrapped`. */
export function scriptUnit(display: string, content: string, wrapped: boolean, version?: string): Unit {
  const section = prepareSection({
    text: content.replace(/^\uFEFF/, ''),
    startLine: 1,
    wrapped,
    pgwardRunner: false,
  });
  return { file: display, ...(version !== undefined ? { version } : {}), sections: [section] };
}
