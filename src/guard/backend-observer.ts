// Watches what the server sends back to the framework without holding it up: the bytes are relayed as
// they arrive, and this only frames them to notice the few messages the guard acts on (statement done,
// error, transaction status). Large rows are skipped by length, never copied.

export type BackendEvent =
  | { type: 'complete'; tag: string }
  | { type: 'empty' }
  | { type: 'suspended' }
  | { type: 'error'; body: Buffer }
  | { type: 'ready'; status: string };

const WATCHED = new Set(['C', 'I', 's', 'E', 'Z']);

export class BackendObserver {
  private head: Buffer = Buffer.alloc(0);
  /** Bytes of the current message body still to skip (not watched). */
  private skip = 0;
  /** Body being collected for a watched message. */
  private collecting: { type: string; need: number; parts: Buffer[]; have: number } | undefined;

  constructor(private readonly emit: (e: BackendEvent) => void) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      if (this.collecting) {
        i = this.collect(chunk, i);
        continue;
      }
      const take = Math.min(5 - this.head.length, chunk.length - i);
      this.head = Buffer.concat([this.head, chunk.subarray(i, i + take)]);
      i += take;
      if (this.head.length < 5) continue;
      const type = String.fromCharCode(this.head[0]!);
      const bodyLen = this.head.readInt32BE(1) - 4;
      this.head = Buffer.alloc(0);
      if (WATCHED.has(type)) {
        this.collecting = { type, need: bodyLen, parts: [], have: 0 };
        if (bodyLen === 0) this.finish();
      } else this.skip = bodyLen;
    }
  }

  private collect(chunk: Buffer, i: number): number {
    const c = this.collecting!;
    const n = Math.min(c.need - c.have, chunk.length - i);
    c.parts.push(chunk.subarray(i, i + n));
    c.have += n;
    if (c.have === c.need) this.finish();
    return i + n;
  }

  private finish(): void {
    const c = this.collecting!;
    this.collecting = undefined;
    const body = c.parts.length === 1 ? c.parts[0]! : Buffer.concat(c.parts);
    if (c.type === 'C') this.emit({ type: 'complete', tag: body.toString('utf8', 0, body.length - 1) });
    else if (c.type === 'I') this.emit({ type: 'empty' });
    else if (c.type === 's') this.emit({ type: 'suspended' });
    else if (c.type === 'E') this.emit({ type: 'error', body: Buffer.from(body) });
    else this.emit({ type: 'ready', status: body.toString('latin1', 0, 1) });
  }
}

/** Rows affected as the CommandComplete tag says ("INSERT 0 5", "UPDATE 3", "SELECT 2"), else null. */
export function rowsOfTag(tag: string): number | null {
  const m = /(\d+)$/.exec(tag);
  if (!m || /^(CREATE|ALTER|DROP)/.test(tag)) return null;
  return Number(m[1]);
}
