// Migration files: <version>_<name>.sql with `-- migrate:up` / `-- migrate:down` sections (dbmate's
// format, so dbmate projects switch without a rewrite) and a `-- pgward:no-transaction` directive
// (dbmate's `-- migrate:up transaction:false` is honoured too).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { readUtf8File } from './encoding.js';
import { classifyLine, DOWN_MARKER, UP_MARKER } from './markers.js';

export const FILE_PATTERN = /^(\d+)_([^/\\]+)\.sql$/;

export interface Section {
  /** Text of the section (between its marker and the next one). */
  text: string;
  /** 1-based line of the file on which `text` starts, to report file lines rather than section lines. */
  startLine: number;
}

export interface MigrationFile {
  version: string;
  name: string;
  filename: string;
  path: string;
  /** sha256 of the file with line endings normalised, so a CRLF checkout is not drift. */
  checksum: string;
  up: Section;
  down: Section | undefined;
  /** false when the file has `-- pgward:no-transaction` (statements run one by one, outside a transaction). */
  transaction: boolean;
}

export function checksumOf(content: string): string {
  return createHash('sha256').update(content.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/** Compares migration versions numerically (they are digit strings of any length). */
export function compareVersions(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function parseMigration(path: string, content: string): MigrationFile {
  const filename = path.split(/[\\/]/).pop()!;
  const m = FILE_PATTERN.exec(filename);
  if (!m) throw new UsageError(`${path}: migration file names must look like <version>_<name>.sql`);
  const shown = relative(process.cwd(), path) || path;
  // A UTF-8 byte-order mark is not SQL; the checksum still covers it (unchanged from earlier releases).
  const lines = content
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n')
    .split('\n');
  let upStart = -1;
  let downStart = -1;
  let transaction = true;
  lines.forEach((line, i) => {
    const marker = classifyLine(line.trim());
    if (!marker) return;
    if (marker.kind === 'near-miss') {
      throw new UsageError(
        `${shown}:${i + 1}: "${line.trim()}" is not a marker pgward recognises`,
        `write exactly "${marker.expected}" (lower case, one space after --), or reword the comment`,
      );
    }
    if (marker.kind === 'up') {
      if (upStart !== -1) throw new UsageError(`${shown}:${i + 1}: second "${UP_MARKER}" marker`);
      upStart = i;
      if (/transaction:\s*false/.test(marker.options)) transaction = false;
    } else if (marker.kind === 'down') {
      if (downStart !== -1) throw new UsageError(`${shown}:${i + 1}: second "${DOWN_MARKER}" marker`);
      downStart = i;
    } else {
      transaction = false;
    }
  });
  if (downStart !== -1 && upStart > downStart) {
    throw new UsageError(`${shown}:${upStart + 1}: "-- migrate:up" must come before "-- migrate:down"`);
  }
  if (downStart !== -1 && upStart === -1) {
    throw new UsageError(`${shown}: has "-- migrate:down" but no "-- migrate:up" section`);
  }
  // No markers at all: the whole file is the up section (as node-pg-migrate and plain SQL folders do).
  const upFrom = upStart === -1 ? 0 : upStart + 1;
  const upTo = downStart === -1 ? lines.length : downStart;
  const up: Section = { text: lines.slice(upFrom, upTo).join('\n'), startLine: upFrom + 1 };
  const down: Section | undefined =
    downStart === -1 ? undefined : { text: lines.slice(downStart + 1).join('\n'), startLine: downStart + 2 };
  return {
    version: m[1]!,
    name: m[2]!,
    filename,
    path,
    checksum: checksumOf(content),
    up,
    down,
    transaction,
  };
}

export interface LoadedMigrations {
  files: MigrationFile[];
  /** .sql files that do not follow the naming pattern, ignored with a warning. */
  ignored: string[];
}

/**
 * Reads a migrations directory: pgward (dbmate-format) files in version order, and the names of files it ignored.
 *
 * @example
 * ```ts
 * import { loadMigrations } from 'pgward';
 * const { files } = loadMigrations('db/migrations');
 * console.log(files.map((f) => `${f.version}_${f.name}`));
 * ```
 */
export function loadMigrations(dir: string): LoadedMigrations {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(
      `migrations directory ${relative(process.cwd(), dir) || dir} does not exist`,
      'create it with `pgward init`, or set migrations.dir in pgward.yaml / pass --dir',
    );
  }
  const files: MigrationFile[] = [];
  const ignored: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.endsWith('.sql')) continue;
    const path = join(dir, entry);
    if (!FILE_PATTERN.test(entry)) {
      ignored.push(entry);
      continue;
    }
    files.push(parseMigration(path, readUtf8File(path, relative(process.cwd(), path) || path)));
  }
  files.sort((a, b) => compareVersions(a.version, b.version));
  for (let i = 1; i < files.length; i++) {
    if (BigInt(files[i]!.version) === BigInt(files[i - 1]!.version)) {
      throw new UsageError(
        `two migrations share version ${files[i]!.version}: ${files[i - 1]!.filename} and ${files[i]!.filename}`,
        'rename one of them with a new version (pgward new <name> picks a timestamp)',
      );
    }
  }
  return { files, ignored };
}

/** True when a down section exists and holds more than whitespace and comments. */
export function hasDown(file: MigrationFile): boolean {
  if (!file.down) return false;
  return file.down.text.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('--'));
}
