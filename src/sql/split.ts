// Splits a SQL script into statements with their position, using the real PostgreSQL parser so that
// semicolons inside strings, dollar quotes, comments and function bodies are never split on.
import type { Node } from 'libpg-query';
import type { ParseFailure } from './parser.js';
import { parseSql } from './parser.js';

export interface SqlStatement {
  /** Statement text, leading comments and whitespace trimmed, without the terminating semicolon. */
  sql: string;
  /** 0-based character offset of the statement's first token in the script. */
  offset: number;
  /** 1-based line and column of the first token, relative to the script. */
  line: number;
  column: number;
  /** Parse tree of the statement. */
  node: Node;
}

export type SplitResult = { ok: true; statements: SqlStatement[] } | { ok: false; error: ParseFailure };

// `migrate` plans a file and then lints the same section: remember recent results instead of parsing
// twice. Callers treat results as read-only.
const cache = new Map<string, SplitResult>();
const CACHE_LIMIT = 2000;

/** `useCache: false` neither reads nor fills the cache (text parsed once, trees not kept). */
export function splitStatements(script: string, useCache = true): SplitResult {
  if (!useCache) return split(script);
  const hit = cache.get(script);
  if (hit) return hit;
  const result = split(script);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(script, result);
  return result;
}

function split(script: string): SplitResult {
  const parsed = parseSql(script);
  if (!parsed.ok) return parsed;
  const buf = Buffer.from(script, 'utf8');
  const toChar = byteOffsetMapper(script, buf);
  const lines = new LineIndex(script);
  const statements: SqlStatement[] = [];
  for (const raw of parsed.result.stmts ?? []) {
    const startByte = raw.stmt_location ?? 0;
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : buf.length;
    const startChar = toChar(startByte);
    const text = script.slice(startChar, toChar(endByte));
    const lead = leadingTrivia(text);
    const sql = text.slice(lead).replace(/;\s*$/, '').trimEnd();
    if (!sql || !raw.stmt) continue;
    const offset = startChar + lead;
    const { line, column } = lines.at(offset);
    statements.push({ sql, offset, line, column, node: raw.stmt });
  }
  return { ok: true, statements };
}

/**
 * Converts the parser's UTF-8 byte offsets to string indices. Offsets arrive in increasing order, so
 * each conversion decodes only the bytes since the previous one (linear in the script's size).
 */
function byteOffsetMapper(script: string, buf: Buffer): (byte: number) => number {
  if (buf.length === script.length) return (byte) => Math.min(byte, script.length); // ASCII: same offsets
  let lastByte = 0;
  let lastChar = 0;
  return (byte) => {
    const b = Math.min(byte, buf.length);
    if (b < lastByte) {
      lastByte = 0;
      lastChar = 0;
    }
    lastChar += buf.subarray(lastByte, b).toString('utf8').length;
    lastByte = b;
    return lastChar;
  };
}

/** Line starts of a text, for O(log n) offset → line/column. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

/** Length of the whitespace and comments at the start of `text`. */
export function leadingTrivia(text: string): number {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else {
      return i;
    }
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  return new LineIndex(text.slice(0, offset + 1)).at(offset);
}
