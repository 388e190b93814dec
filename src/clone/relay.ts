// COPY OUT of the source relayed into COPY IN of the target without touching the rows: the CopyData
// messages a server sends during COPY TO STDOUT are byte for byte the CopyData messages a client sends
// during COPY FROM STDIN, so whole socket reads are forwarded as they arrive (subarrays, no copy). The
// only per-row work is reading each message's 5-byte header to find where the copy ends; the rows are
// never split out, re-chunked or re-framed (pg-copy-streams does all three, per row).
import { createRequire } from 'node:module';
import type { from as copyFrom, to as copyTo } from 'pg-copy-streams';

const CopyData = 0x64; // 'd'
const CopyDone = 0x63; // 'c'
const ErrorResponse = 0x45; // 'E'

type CopyToQuery = ReturnType<typeof copyTo>;
type CopyFromQuery = ReturnType<typeof copyFrom>;

// pg-copy-streams exports factories only; their classes are reached through one throwaway instance.
const require = createRequire(import.meta.url);
const CopyToBase = Object.getPrototypeOf(require('pg-copy-streams').to('')).constructor as new (
  text: string,
  options?: object,
) => CopyToQuery;
const CopyFromBase = Object.getPrototypeOf(require('pg-copy-streams').from('')).constructor as new (
  text: string,
  options?: object,
) => CopyFromQuery;

interface CopyToInternals {
  _detach(): void;
  _cleanup(): void;
  _buffer: { push(b: Buffer): void };
  push(chunk: Buffer | null): boolean;
}

/**
 * COPY ... TO STDOUT whose stream yields the server's CopyData messages still framed (type, length,
 * payload), ready to be written as they are into a {@link framedCopyFrom}. rowCount is set at the end.
 */
export class FramedCopyTo extends (CopyToBase as new (text: string, options?: object) => CopyToQuery) {
  /** Payload bytes relayed so far (the rows, without the 5-byte message headers). */
  payloadBytes = 0;
  private state: 'code' | 'len' | 'body' = 'code';
  private code = 0;
  private lenBytes = 0;
  private len = 0;
  private left = 0;

  // Replaces pg-copy-streams' per-message parser: returns whether the consumer wants more.
  _parse(chunk: Buffer): boolean | undefined {
    const self = this as unknown as CopyToInternals;
    const n = chunk.length;
    let pos = 0;
    // Start of the current run of CopyData messages in this chunk: at 0 when one continues from the last.
    let run = this.state !== 'code' && this.code === CopyData ? 0 : -1;
    let wanted = true;
    const flush = (end: number) => {
      if (run >= 0 && end > run) wanted = self.push(chunk.subarray(run, end)) && wanted;
      run = -1;
    };
    while (pos < n) {
      if (this.state === 'body') {
        const k = Math.min(this.left, n - pos);
        pos += k;
        this.left -= k;
        if (this.left === 0) this.state = 'code';
        if (this.left === 0 && this.code === CopyDone) return this.finish(chunk.subarray(pos));
        continue;
      }
      if (this.state === 'code') {
        this.code = chunk[pos]!;
        if (this.code === ErrorResponse) {
          // pg parses the error (and what follows) itself: hand it everything from here on.
          flush(pos);
          self._buffer.push(chunk.subarray(pos));
          self._detach();
          return undefined;
        }
        if (this.code === CopyData) {
          if (run < 0) run = pos;
        } else flush(pos);
        this.state = 'len';
        this.lenBytes = 0;
        this.len = 0;
        pos++;
        continue;
      }
      // 'len': four bytes, big-endian, counting themselves; usually all in this chunk.
      if (this.lenBytes === 0 && n - pos >= 4) {
        this.len = chunk.readUInt32BE(pos);
        pos += 4;
        this.lenBytes = 4;
      } else {
        this.len = this.len * 256 + chunk[pos]!;
        pos++;
        this.lenBytes++;
      }
      if (this.lenBytes < 4) continue;
      this.left = this.len - 4;
      if (this.code === CopyData) this.payloadBytes += this.left;
      this.state = this.left > 0 ? 'body' : 'code';
      if (this.left === 0 && this.code === CopyDone) return this.finish(chunk.subarray(pos));
    }
    flush(n);
    return wanted;
  }

  /** CopyDone read (the rows before it were forwarded at its first byte): pg gets the rest. */
  private finish(rest: Buffer): undefined {
    const self = this as unknown as CopyToInternals;
    self._buffer.push(rest);
    self._detach();
    self.push(null);
    self._cleanup();
    return undefined;
  }
}

/** COPY ... FROM STDIN fed with already framed CopyData messages (from a {@link FramedCopyTo}). */
export class FramedCopyFrom extends (CopyFromBase as new (text: string, options?: object) => CopyFromQuery) {
  flushChunk(chunk: Buffer): boolean {
    return (
      this as unknown as { connection: { stream: { write(b: Buffer): boolean } } }
    ).connection.stream.write(chunk);
  }
}

/** Large stream buffers: the relay moves whole socket reads, a few of them in flight at a time. */
export const RELAY_HIGH_WATER_MARK = 1 << 20;
