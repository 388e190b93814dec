// Byte-level checks on source text: the first invalid UTF-8 byte, and a JSON.parse error's position as
// line:column.
import { isUtf8 } from 'node:buffer';
import { jsonErrorOffset } from './json-locate.js';

/** Offset of the first byte that is not valid UTF-8, or -1 (the native check first: the scan is slow). */
export function firstInvalidUtf8(buf: Uint8Array): number {
  if (buf.length === 0 || isUtf8(buf)) return -1;
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Line and column (1-based) of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastBreak = -1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  return { line, column: end - lastBreak };
}

/** JSON.parse, or the syntax error as `line L, column C: message` (an unfinished text points at its end). */
export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; line: number; column: number; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // V8's message does not always say where: the scanner finds the offending character itself
    const offset = jsonErrorOffset(text);
    const at = lineColumn(text, offset);
    const short =
      offset >= text.length
        ? 'unexpected end of JSON (truncated?)'
        : `unexpected ${JSON.stringify(text[offset])}`;
    return { ok: false, ...at, message: short };
  }
}
