// JSON files as an import source: a file, a folder (its *.json, *.ndjson, *.jsonl files, recursively) or
// a glob (`data/**/*.json`). One document per file, or one per line for NDJSON (by extension or --ndjson),
// read line by line from a stream: memory holds one document, never the dataset. Files are read in
// sorted order, so a resume position (records consumed) means the same records on the next run.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { firstInvalidUtf8, parseJson } from './text.js';
import type { ImportSource, SourceBatch, SourceRecord } from './types.js';

/** How a record's key is chosen: file name without extension, relative path without it, or a field. */
export type KindFrom = { by: 'name' } | { by: 'path' } | { by: 'field'; field: string } | { by: 'key' };

export function parseKindFrom(text: string | undefined, fallback: KindFrom): KindFrom {
  if (!text) return fallback;
  if (text === 'name' || text === 'path' || text === 'key') return { by: text };
  const m = /^field:(.+)$/.exec(text);
  if (m) return { by: 'field', field: m[1]! };
  throw new UsageError(`--kind-from ${text}: not one of name, path, key, field:<name>`);
}

export interface JsonFilesOptions {
  /** Files, folders or globs. */
  paths: string[];
  /** Treat every file as NDJSON (default: by extension .ndjson / .jsonl). */
  ndjson?: boolean;
  kindFrom?: KindFrom;
  cwd?: string;
}

const DATA_FILE = /\.(json|ndjson|jsonl)$/i;
const isNdjsonName = (p: string) => /\.(ndjson|jsonl)$/i.test(p);

/** The files the paths name, sorted; a path that matches nothing is a usage error. */
export function expandPaths(paths: string[], cwd = process.cwd()): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let found: string[];
    if (/[*?[]/.test(p)) found = globFiles(abs);
    else if (!existsSync(abs)) throw new UsageError(`${p}: no such file or folder`);
    else if (statSync(abs).isDirectory()) found = walk(abs).filter((f) => DATA_FILE.test(f));
    else found = [abs];
    if (found.length === 0) throw new UsageError(`${p}: matches no .json, .ndjson or .jsonl file`);
    for (const f of found) out.add(f);
  }
  return [...out].sort();
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** `*` and `?` within a path segment, `**` across segments. */
function globFiles(absPattern: string): string[] {
  const parts = absPattern.split(sep);
  const firstGlob = parts.findIndex((s) => /[*?[]/.test(s));
  const base = parts.slice(0, firstGlob).join(sep) || sep;
  if (!existsSync(base)) return [];
  const rx = new RegExp(
    `^${parts
      .slice(firstGlob)
      .map((s) => (s === '**' ? '(?:.*/)?' : `${globSegment(s)}/`))
      .join('')
      .replace(/\/$/, '')
      .replace(/\(\?:\.\*\/\)\?$/, '.*')}$`,
  );
  return walk(base).filter((f) => rx.test(relative(base, f).split(sep).join('/')));
}

function globSegment(s: string): string {
  return s
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
}

export class JsonFilesSource implements ImportSource {
  readonly description: string;
  private readonly files: string[];
  private readonly root: string;
  private readonly kindFrom: KindFrom;
  constructor(private readonly opts: JsonFilesOptions) {
    this.root = resolve(opts.cwd ?? process.cwd());
    this.files = expandPaths(opts.paths, this.root);
    this.kindFrom = opts.kindFrom ?? { by: 'name' };
    this.description = `${this.files.length} JSON file${this.files.length === 1 ? '' : 's'} (${opts.paths.join(', ')})`;
  }
  async fingerprint(): Promise<string> {
    const h = createHash('sha256');
    for (const f of this.files) {
      const st = statSync(f);
      h.update(`${f}\u0000${st.size}\u0000${st.mtimeMs}\n`);
    }
    return h.digest('hex');
  }
  async *batches(batchSize: number, resumeFrom?: string): AsyncIterable<SourceBatch> {
    const skip = resumeFrom ? Number(resumeFrom) : 0;
    let index = 0;
    let batch: SourceRecord[] = [];
    for (const file of this.files) {
      for await (const rec of this.records(file)) {
        index++;
        if (index <= skip) continue;
        batch.push(rec);
        if (batch.length >= batchSize) {
          yield { records: batch, position: String(index) };
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield { records: batch, position: String(index) };
  }
  async close(): Promise<void> {}

  private label(file: string): string {
    return relative(this.root, file) || basename(file);
  }
  private async *records(file: string): AsyncIterable<SourceRecord> {
    if (this.opts.ndjson || isNdjsonName(file)) yield* this.ndjson(file);
    else yield this.document(file);
  }
  private fileKind(file: string): string {
    const rel = this.label(file).split(sep).join('/');
    const noExt = (s: string) => s.slice(0, s.length - extname(s).length);
    return this.kindFrom.by === 'path' ? noExt(rel) : noExt(basename(file));
  }
  private document(file: string): SourceRecord {
    const origin = this.label(file);
    const buf = readFileSync(file);
    return this.decode(buf, origin, this.fileKind(file), 0);
  }
  /** One record from one document's bytes; `baseOffset` is where the bytes start in the file. */
  private decode(buf: Buffer, origin: string, fileKind: string, baseOffset: number, line = 1): SourceRecord {
    const bad = firstInvalidUtf8(buf);
    if (bad >= 0)
      return {
        kind: fileKind,
        data: undefined,
        origin,
        error: `not UTF-8: invalid byte 0x${buf[bad]!.toString(16).padStart(2, '0')} at byte offset ${baseOffset + bad}`,
      };
    const text = buf.toString('utf8').replace(/^\uFEFF/, '');
    const parsed = parseJson(text);
    if (!parsed.ok)
      return {
        kind: fileKind,
        data: undefined,
        origin,
        error: `JSON syntax error at ${origin.replace(/:\d+$/, '')}:${line + parsed.line - 1}:${parsed.column}: ${parsed.message}`,
      };
    return this.withKind({ kind: fileKind, data: parsed.value, origin });
  }
  private withKind(rec: SourceRecord): SourceRecord {
    if (this.kindFrom.by !== 'field') return rec;
    const v = (rec.data as Record<string, unknown> | null)?.[this.kindFrom.field];
    if (typeof v === 'string' && v !== '') return { ...rec, kind: v };
    if (typeof v === 'number') return { ...rec, kind: String(v) };
    return { ...rec, error: `no string field "${this.kindFrom.field}" to take the key from (--kind-from)` };
  }
  private async *ndjson(file: string): AsyncIterable<SourceRecord> {
    const label = this.label(file);
    const base = this.fileKind(file);
    let pending: Buffer[] = [];
    let offset = 0;
    let line = 0;
    const emit = (bytes: Buffer, start: number): SourceRecord | undefined => {
      line++;
      if (bytes.toString('utf8').trim() === '' && firstInvalidUtf8(bytes) < 0) return undefined;
      return this.decode(bytes, `${label}:${line}`, `${base}:${line}`, start, line);
    };
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
        pending.push(chunk.subarray(from, nl));
        const bytes = Buffer.concat(pending);
        const rec = emit(bytes, offset);
        offset += bytes.length + 1;
        pending = [];
        from = nl + 1;
        if (rec) yield rec;
      }
      if (from < chunk.length) pending.push(chunk.subarray(from));
    }
    if (pending.length > 0) {
      const rec = emit(Buffer.concat(pending), offset);
      if (rec) yield rec;
    }
  }
}
