// Migration and lint input is UTF-8. Node's 'utf8' decoding silently turns invalid bytes into U+FFFD,
// so a Latin-1 file would run (and be checksummed) as different SQL than its author wrote: refuse it,
// naming the line of the first invalid byte. A leading UTF-8 BOM is harmless and accepted.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a file that must be UTF-8. The text keeps a leading BOM (\uFEFF) so checksums of files applied
 * before this check stay the same; parsers treat it as whitespace.
 */
export function readUtf8File(path: string, shown: string = path): string {
  const bytes = readFileSync(path);
  try {
    return strict.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = lineOf(bytes, at);
    throw new UsageError(
      `${shown}:${line}: not valid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, '0') ?? '??'} at offset ${at})`,
      're-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8); nothing was run',
    );
  }
}

function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const len = sequenceLength(b, i);
    if (len === 0) return i;
    i += len;
  }
  return -1;
}

const cont = (x: number | undefined) => x !== undefined && (x & 0xc0) === 0x80;

/** Length of the well-formed multi-byte sequence at i, or 0 (overlongs, surrogates, > U+10FFFF rejected). */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const c1 = b[i + 1];
  if (c >= 0xc2 && c <= 0xdf) return cont(c1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(c1) || !cont(b[i + 2])) return 0;
    if (c === 0xe0 && c1! < 0xa0) return 0; // overlong
    if (c === 0xed && c1! > 0x9f) return 0; // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(c1) || !cont(b[i + 2]) || !cont(b[i + 3])) return 0;
    if (c === 0xf0 && c1! < 0x90) return 0; // overlong
    if (c === 0xf4 && c1! > 0x8f) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}
