// The real PostgreSQL parser (libpg-query, compiled from PostgreSQL's own grammar to WebAssembly).
// Loading the module is async and done once per process. This module leaves V8's flags alone (a
// library must not retune its host process); the CLI picks the faster WebAssembly tier itself, see
// src/cli/wasm-tiering.ts.
import type { ParseResult } from 'libpg-query';

type LibPgQuery = typeof import('libpg-query');
let lib: LibPgQuery | undefined;
let loaded: Promise<void> | undefined;

export function ensureParser(): Promise<void> {
  loaded ??= (async () => {
    lib = await import('libpg-query');
    await lib.loadModule();
  })();
  return loaded;
}

/** The loaded parser module (after ensureParser()). */
export function parser(): LibPgQuery {
  if (!lib) throw new Error('ensureParser() was not awaited');
  return lib;
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
    return { ok: true, result: parser().parseSync(text) };
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
