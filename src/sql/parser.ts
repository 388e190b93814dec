// The real PostgreSQL parser (libpg-query, compiled from PostgreSQL's own grammar to WebAssembly).
// Loading the module is async and done once per process.
import { loadModule, type ParseResult, parseSync } from 'libpg-query';

let loaded: Promise<void> | undefined;

export function ensureParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

export interface ParseFailure {
  message: string;
  /** 0-based character offset into the parsed text, when known. */
  offset: number | undefined;
}

/** Parses SQL text; the module must be loaded (await ensureParser()). */
export function parseSql(
  text: string,
): { ok: true; result: ParseResult } | { ok: false; error: ParseFailure } {
  try {
    return { ok: true, result: parseSync(text) };
  } catch (err) {
    const e = err as Error & { sqlDetails?: { cursorPosition?: number } };
    const bytePos = e.sqlDetails?.cursorPosition;
    return {
      ok: false,
      error: {
        message: e.message,
        offset: bytePos !== undefined ? byteToCharOffset(text, bytePos) : undefined,
      },
    };
  }
}

/** libpg-query reports UTF-8 byte offsets; JavaScript strings index UTF-16 code units. */
export function byteToCharOffset(text: string, byteOffset: number): number {
  if (byteOffset <= 0) return 0;
  const buf = Buffer.from(text, 'utf8');
  return buf.subarray(0, Math.min(byteOffset, buf.length)).toString('utf8').length;
}
