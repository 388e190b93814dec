// What plan can know about another framework's pending migration before anything runs: the SQL that
// framework will send for `up`, read from its files (or from its own dry-run mode), and its execution model.
import { isAbsolute, join } from 'node:path';
import type { FrameworkName } from '../../config/frameworks.js';
import { checksumOfFiles } from '../checksum.js';

/** The frameworks plan can read; `django` joins FrameworkName with its status adapter. */
export type StaticFramework = FrameworkName | 'django';

export interface StaticMigration {
  /** As the framework's status adapter reports it (src/frameworks/<framework>.ts). */
  version: string;
  /** Absolute paths of the file(s) that define it (.rb, .py, migration.sql, .up.sql, V1__x.sql + its .conf, .js). */
  files: string[];
  /** sha256 hex over the files' bytes, in order, each followed by a NUL: approvals bind to it. */
  checksum: string;
  /** The SQL the framework will send for `up`, or undefined when it cannot be read. */
  sql: string | undefined;
  /** True when the framework runs this SQL inside one transaction. */
  wrapped: boolean;
  /** What a static reading cannot tell, each ending with a pointer such as "rehearse it: pgward rehearse". */
  notes: string[];
}

export interface PendingRef {
  version: string;
  /** The file as the status adapter reports it: relative to `dir` (or absolute). */
  file?: string;
}

export interface StaticContext {
  /** The project root (where the framework's command is run). */
  root: string;
  /** The migrations directory, absolute. */
  dir: string;
  pending: PendingRef[];
  /** Framework specifics from layout discovery: alembicIni, djangoSettings, prismaSchema, python, … */
  details?: Record<string, string>;
  /** Only for Django's sqlmigrate, which needs a live connection (given to the child in its environment). */
  databaseUrl?: string;
}

export const REHEARSE = 'rehearse it: pgward rehearse';

/** The pending entry's file as an absolute path (adapters report it relative to the migrations dir). */
export function absolute(dir: string, file: string): string {
  return isAbsolute(file) ? file : join(dir, file);
}

/** A migration whose SQL is the text of its files, as read. */
export function fromFiles(
  version: string,
  files: string[],
  sql: string | undefined,
  wrapped: boolean,
  notes: string[] = [],
): StaticMigration {
  return { version, files, checksum: checksumOfFiles(files), sql, wrapped, notes };
}

/** A pending migration whose file could not be found or read: nothing to lint, and the note says why. */
export function nothingRead(version: string, note: string): StaticMigration {
  return { version, files: [], checksum: '', sql: undefined, wrapped: true, notes: [note] };
}

/** The 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** One line of code for a note, shortened. */
export function snippet(code: string, max = 80): string {
  const one = code.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The note for a construct a static reading cannot translate. */
export function unreadable(line: number, code: string): string {
  return `line ${line}: ${snippet(code)} cannot be read statically — ${REHEARSE}`;
}

/** A statement with its `;`, on a line of its own when the text ends in a `--` comment (which would eat it). */
export function terminated(statement: string): string {
  const body = statement.trim().replace(/;\s*$/, '');
  const last = body.slice(body.lastIndexOf('\n') + 1);
  return last.includes('--') ? `${body}\n;` : `${body};`;
}
