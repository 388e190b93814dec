// Section markers of a migration file. Only the exact spellings count: a line that merely resembles a
// marker (`-- migrate up`, `--migrate:up`, `-- migrate:UP`, `-- migrations:up`…) is an error, because
// silently ignoring it would run the whole file — down section included — as the up section.

export const UP_MARKER = '-- migrate:up';
export const DOWN_MARKER = '-- migrate:down';
export const NO_TX_DIRECTIVE = '-- pgward:no-transaction';

/** The exact markers; what follows `-- migrate:up ` are options such as dbmate's `transaction:false`. */
const UP = /^-- migrate:up(?:\s+(.*))?$/;
const DOWN = /^-- migrate:down(?:\s+.*)?$/;
const NO_TX = /^--\s*pgward:no-transaction\s*$/;

/** Comment lines that look like an attempt at a marker: any case, spacing or separator, "migrat…". */
const NEAR_SECTION = /^-+\s*[+@]?\s*migrat[a-z]*\s*[:=_\-.]?\s*(up|down)\b/i;
const NEAR_NO_TX = /^-+\s*[+@]?\s*pgward\s*[:=_\-.]?\s*no[\s_-]*trans/i;

export type MarkerLine =
  | { kind: 'up'; options: string }
  | { kind: 'down' }
  | { kind: 'no-transaction' }
  | { kind: 'near-miss'; expected: string }
  | undefined;

/** Classifies one line (already trimmed). */
export function classifyLine(t: string): MarkerLine {
  if (!t.startsWith('-')) return undefined;
  const up = UP.exec(t);
  if (up) return { kind: 'up', options: up[1] ?? '' };
  if (DOWN.test(t)) return { kind: 'down' };
  if (NO_TX.test(t)) return { kind: 'no-transaction' };
  const near = NEAR_SECTION.exec(t);
  if (near) return { kind: 'near-miss', expected: near[1]!.toLowerCase() === 'up' ? UP_MARKER : DOWN_MARKER };
  if (NEAR_NO_TX.test(t)) return { kind: 'near-miss', expected: NO_TX_DIRECTIVE };
  return undefined;
}
