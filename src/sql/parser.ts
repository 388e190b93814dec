// The real PostgreSQL parser (libpg-query, compiled from PostgreSQL's own grammar to WebAssembly).
// Loading the module is async and done once per process.
import { setFlagsFromString } from 'node:v8';
import type { ParseResult } from 'libpg-query';

type LibPgQuery = typeof import('libpg-query');
let lib: LibPgQuery | undefined;
let loaded: Promise<void> | undefined;

export function ensureParser(): Promise<void> {
  loaded ??= (async () => {
    // pgward's runs are short: V8's optimising WebAssembly compiler (TurboFan) would spend more time
    // recompiling the 1.7 MB parser than it saves. Baseline (Liftoff) code only: parsing the
    // 5,000-statement lint bench corpus takes ~80 ms instead of ~130 ms, and ~300 ms less CPU in all.
    // It must be set before the module is imported (its compilation starts on import).
    if (!lib) setFlagsFromString('--liftoff-only');
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
