// The PostgreSQL v3 wire format, only as far as the guard needs it: framing of the messages a client
// sends (startup packet, then type byte + int32 length), and the few backend messages the guard writes
// itself (authentication, errors, session parameters). Upstream traffic is relayed as raw bytes; pg's
// own client does the upstream authentication. (pg-protocol parses backend messages and serialises
// frontend ones — the opposite direction — and pg-gateway sends no BackendKeyData and parses no
// extended-protocol messages, so neither fits the server side; see docs/frameworks/guard.md.)

export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3_0 = 196608;

/** A complete frontend message: type byte and body (without the length). */
export interface Message {
  type: string;
  body: Buffer;
  /** The message as received (type + length + body), forwarded unchanged when allowed. */
  raw: Buffer;
}

/** Accumulates bytes and cuts complete messages; `startup` messages have no type byte. */
export class MessageReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next startup-phase packet (int32 length, then the body), or undefined until it is complete. */
  nextStartup(): Buffer | undefined {
    if (this.buf.length < 4) return undefined;
    const len = this.buf.readInt32BE(0);
    if (len < 8 || len > 10_000) throw new Error(`invalid startup packet length ${len}`);
    if (this.buf.length < len) return undefined;
    const body = this.buf.subarray(4, len);
    this.buf = this.buf.subarray(len);
    return body;
  }

  /** The next typed message, or undefined until it is complete. */
  next(): Message | undefined {
    if (this.buf.length < 5) return undefined;
    const len = this.buf.readInt32BE(1);
    if (len < 4) throw new Error(`invalid message length ${len}`);
    if (this.buf.length < len + 1) return undefined;
    const raw = this.buf.subarray(0, len + 1);
    this.buf = this.buf.subarray(len + 1);
    return { type: String.fromCharCode(raw[0]!), body: raw.subarray(5), raw };
  }

  /** Bytes not yet cut into messages (handed over when a session switches reader). */
  rest(): Buffer {
    return this.buf;
  }
}

/** Reads NUL-terminated strings and integers from a message body. */
export class BodyReader {
  constructor(
    private readonly b: Buffer,
    public offset = 0,
  ) {}

  cstring(): string {
    const end = this.b.indexOf(0, this.offset);
    const stop = end === -1 ? this.b.length : end;
    const s = this.b.toString('utf8', this.offset, stop);
    this.offset = stop + 1;
    return s;
  }

  int16(): number {
    const v = this.b.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    const v = this.b.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  bytes(n: number): Buffer {
    const v = this.b.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}

/** Startup parameters (user, database, application_name, options, …) of a protocol 3.0 StartupMessage. */
export function parseStartupParams(body: Buffer): Map<string, string> {
  const r = new BodyReader(body, 4);
  const params = new Map<string, string>();
  while (r.offset < body.length - 1) {
    const key = r.cstring();
    if (key === '') break;
    params.set(key, r.cstring());
  }
  return params;
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

export const authCleartext = (): Buffer => message('R', int32(3));
export const authOk = (): Buffer => message('R', int32(0));
export const readyForQuery = (status: string): Buffer => message('Z', Buffer.from(status, 'latin1'));
export const parameterStatus = (name: string, value: string): Buffer =>
  message('S', Buffer.concat([cstr(name), cstr(value)]));
export const backendKeyData = (pid: number, key: number): Buffer =>
  message('K', Buffer.concat([int32(pid), int32(key)]));

/** An ErrorResponse; FATAL ends the session (used before it is established). */
export function errorResponse(
  severity: 'ERROR' | 'FATAL',
  code: string,
  text: string,
  hint?: string,
): Buffer {
  const fields = [
    Buffer.from('S'),
    cstr(severity),
    Buffer.from('V'),
    cstr(severity),
    Buffer.from('C'),
    cstr(code),
    Buffer.from('M'),
    cstr(text),
  ];
  if (hint) fields.push(Buffer.from('H'), cstr(hint));
  fields.push(Buffer.from([0]));
  return message('E', Buffer.concat(fields));
}

/** Fields of a backend ErrorResponse / NoticeResponse body, by their one-letter codes. */
export function errorFields(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    out.set(code, body.toString('utf8', i + 1, end));
    i = end + 1;
  }
  return out;
}

/** Builds a simple Query message (the guard's substitute for a statement it refuses). */
export function queryMessage(sql: string): Buffer {
  return message('Q', cstr(sql));
}

/** A Parse message with the same statement name and parameter types but another query text. */
export function replaceParseQuery(body: Buffer, sql: string): Buffer {
  const r = new BodyReader(body);
  const name = r.cstring();
  r.cstring();
  const rest = body.subarray(r.offset);
  return message('P', Buffer.concat([cstr(name), cstr(sql), rest]));
}
