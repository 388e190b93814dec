// Writes a value as JSON.stringify(value, null, space) would, straight into bytes handed out in chunks.
// Why not JSON.stringify: V8 builds an indented text by appending every indentation as its own string,
// so a large report becomes a rope of millions of pieces, and flattening and encoding it cost more than
// serialising (a 50,000-statement lint report, 39 MB: ~0.95 s of a 2.8 s run). Writing bytes as the value
// is walked also gives every string to a hook on the way (redaction) and never holds the whole text.

/** What the writer does with each string (keys included) before writing it: e.g. mask secrets. */
export type StringHook = (text: string) => string;

const CHUNK = 1 << 20;
// Characters JSON.stringify escapes: the quote, the backslash, control characters, lone surrogates.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const MAX_SPACE = 10;
// From this length on, Buffer#write's native copy beats the byte loop despite its call overhead.
const NATIVE_FROM = 24;

/**
 * Writes `value` as JSON (`space` as JSON.stringify's: spaces per level, at most 10), calling `emit` with
 * chunks of about 1 MiB; a chunk is never reused after it is emitted. Same text as JSON.stringify: toJSON
 * honoured, undefined/functions/symbols skipped in objects and null in arrays, non-finite numbers null,
 * a cycle or a BigInt a TypeError. Returns false (nothing written) when JSON.stringify would return
 * undefined.
 */
export function writeJson(
  value: unknown,
  space: number,
  emit: (chunk: Buffer) => void,
  hook?: StringHook,
): boolean {
  const writer = new JsonBytes(emit, Math.min(MAX_SPACE, Math.max(0, Math.floor(space) || 0)), hook);
  const top = resolve(value, '');
  if (skipped(top)) return false;
  writer.value(top, 0);
  writer.end();
  return true;
}

/** The value JSON writes for `v` found under `key`: its toJSON's result, a boxed primitive unwrapped. */
function resolve(v: unknown, key: string): unknown {
  if (v !== null && typeof v === 'object') {
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(v, key);
    if (v instanceof Number || v instanceof String || v instanceof Boolean) return v.valueOf();
  }
  return v;
}

function skipped(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

class JsonBytes {
  private buf = Buffer.allocUnsafe(CHUNK);
  private at = 0;
  private readonly stack: object[] = [];
  // The bytes between two values, cached: `,` or `{`, the line break and indentation, the key and `: `.
  // Indexed by depth, then by first-or-not; keyed by the key.
  private readonly keyPrefixes: Map<string, Uint8Array>[][] = [];
  private readonly breaks: Uint8Array[] = [];

  constructor(
    private readonly emit: (chunk: Buffer) => void,
    private readonly space: number,
    private readonly hook: StringHook | undefined,
  ) {}

  value(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.string(v);
        break;
      case 'number':
        this.ascii(Number.isFinite(v) ? String(v) : 'null');
        break;
      case 'boolean':
        this.ascii(v ? 'true' : 'false');
        break;
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
      default:
        if (v === null) {
          this.ascii('null');
          break;
        }
        this.enter(v as object);
        if (Array.isArray(v)) this.array(v, depth);
        else this.object(v as Record<string, unknown>, depth);
        this.stack.pop();
    }
  }

  end(): void {
    if (this.at > 0) this.emit(this.buf.subarray(0, this.at));
    this.at = 0;
  }

  private enter(v: object): void {
    if (this.stack.includes(v)) throw new TypeError('Converting circular structure to JSON');
    this.stack.push(v);
  }

  private array(items: unknown[], depth: number): void {
    if (items.length === 0) {
      this.ascii('[]');
      return;
    }
    this.byte(0x5b);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.byte(0x2c);
      this.bytes(this.lineBreak(depth + 1));
      const v = resolve(items[i], String(i));
      if (skipped(v)) this.ascii('null');
      else this.value(v, depth + 1);
    }
    this.bytes(this.lineBreak(depth));
    this.byte(0x5d);
  }

  private object(obj: Record<string, unknown>, depth: number): void {
    let first = true;
    for (const key of Object.keys(obj)) {
      const v = resolve(obj[key], key);
      if (skipped(v)) continue;
      this.bytes(this.keyPrefix(key, depth, first));
      first = false;
      this.value(v, depth + 1);
    }
    if (first) {
      this.ascii('{}');
      return;
    }
    this.bytes(this.lineBreak(depth));
    this.byte(0x7d);
  }

  private keyPrefix(key: string, depth: number, first: boolean): Uint8Array {
    this.keyPrefixes[depth] ??= [new Map(), new Map()];
    const cache = this.keyPrefixes[depth][first ? 0 : 1]!;
    let bytes = cache.get(key);
    if (!bytes) {
      const name = JSON.stringify(this.hook ? this.hook(key) : key);
      const text = `${first ? '{' : ','}${this.breakText(depth + 1)}${name}:${this.space > 0 ? ' ' : ''}`;
      bytes = Buffer.from(text, 'utf8');
      cache.set(key, bytes);
    }
    return bytes;
  }

  private lineBreak(depth: number): Uint8Array {
    this.breaks[depth] ??= Buffer.from(this.breakText(depth), 'latin1');
    return this.breaks[depth];
  }

  private breakText(depth: number): string {
    return this.space > 0 ? `\n${' '.repeat(this.space * depth)}` : '';
  }

  private string(raw: string): void {
    const text = this.hook ? this.hook(raw) : raw;
    if (NEEDS_ESCAPE.test(text)) {
      this.utf8(JSON.stringify(text));
      return;
    }
    this.room(text.length * 3 + 2);
    const buf = this.buf;
    let at = this.at;
    buf[at++] = 0x22;
    const n = text.length;
    if (n >= NATIVE_FROM) {
      at += buf.write(text, at, 'utf8');
      buf[at++] = 0x22;
      this.at = at;
      return;
    }
    // ASCII byte by byte: cheaper than Buffer#write's own checks for the short strings reports are made of.
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) {
        at += buf.write(text.slice(i), at, 'utf8');
        break;
      }
      buf[at++] = c;
    }
    buf[at++] = 0x22;
    this.at = at;
  }

  /** Text made of ASCII characters only (numbers, true/false/null, brackets). */
  private ascii(text: string): void {
    this.room(text.length);
    for (let i = 0; i < text.length; i++) this.buf[this.at++] = text.charCodeAt(i);
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  private bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  private utf8(text: string): void {
    this.room(text.length * 3);
    this.at += this.buf.write(text, this.at, 'utf8');
  }

  /** Makes room for `bytes` more: the current chunk is emitted when full (and a larger one taken if needed). */
  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    this.end();
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, bytes));
  }
}
