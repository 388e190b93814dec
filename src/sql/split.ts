// Splits a SQL script into statements with their position, using the real PostgreSQL parser so that
// semicolons inside strings, dollar quotes, comments and function bodies are never split on.
import type { Node } from 'libpg-query';
import { byteToCharOffset, type ParseFailure, parseSql } from './parser.js';

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

export function splitStatements(script: string): SplitResult {
  const parsed = parseSql(script);
  if (!parsed.ok) return parsed;
  const buf = Buffer.from(script, 'utf8');
  const statements: SqlStatement[] = [];
  for (const raw of parsed.result.stmts ?? []) {
    const startByte = raw.stmt_location ?? 0;
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : buf.length;
    const startChar = byteToCharOffset(script, startByte);
    const text = buf.subarray(startByte, endByte).toString('utf8');
    const lead = leadingTrivia(text);
    const sql = text.slice(lead).replace(/;\s*$/, '').trimEnd();
    if (!sql || !raw.stmt) continue;
    const offset = startChar + lead;
    const { line, column } = lineColumn(script, offset);
    statements.push({ sql, offset, line, column, node: raw.stmt });
  }
  return { ok: true, statements };
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
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastNl = i;
    }
  }
  return { line, column: offset - lastNl };
}
