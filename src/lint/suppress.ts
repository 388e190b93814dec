// `-- pgward:ignore <rule-id>[, <rule-id>...] reason="..."`: suppresses those rules on the next statement.
import { lineColumn } from '../sql/split.js';

export interface IgnoreComment {
  rules: string[];
  reason: string | undefined;
  /** 0-based character offset of the comment in the section text. */
  offset: number;
  line: number;
  column: number;
}

const IGNORE = /--[ \t]*pgward:ignore\b([^\n]*)/g;

export function parseIgnores(text: string): IgnoreComment[] {
  const out: IgnoreComment[] = [];
  for (const m of text.matchAll(IGNORE)) {
    const rest = m[1] ?? '';
    const reasonMatch = /\breason\s*=\s*"([^"]*)"/.exec(rest);
    const list = (reasonMatch ? rest.slice(0, reasonMatch.index) : rest).trim();
    const rules = list.split(/[\s,]+/).filter(Boolean);
    const { line, column } = lineColumn(text, m.index ?? 0);
    out.push({ rules, reason: reasonMatch?.[1]?.trim() || undefined, offset: m.index ?? 0, line, column });
  }
  return out;
}
