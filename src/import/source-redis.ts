// Redis as an import source: keys matching a pattern, walked with SCAN (never KEYS, which blocks the
// server), each value mapped to JSON by its type: a string holding JSON is that JSON (any other string
// is a JSON string), a hash an object of strings, a list an array, a set a sorted array, a sorted set an
// array of {member, score} in score order, a RedisJSON value (module present: MODULE LIST) its JSON.GET.
// A resume position is the server's run_id and the SCAN cursor after the last committed batch; SCAN
// returns every key that exists for the whole walk, so resuming the same server's walk loses none.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { PgwardError, UsageError } from '../errors.js';
import { redact, redactUrl, registerSecret } from '../redact.js';
import { firstInvalidUtf8 } from './text.js';
import type { ImportSource, SourceBatch, SourceRecord } from './types.js';

export interface RedisSourceOptions {
  /** redis:// or rediss:// (TLS) URL; a password in it is kept out of every output. */
  url: string;
  /** SCAN MATCH pattern (default `*`). */
  pattern?: string;
  /** Keys per SCAN call (the COUNT hint, default 5000: one MGET reads a page's strings). */
  scanCount?: number;
  /** Take the key from this field of the value instead of the Redis key. */
  keyField?: string;
  /**
   * For rediss://: a PEM file of the CA that signed the server's certificate (a private CA). Without it,
   * the system's CAs; the certificate and host name are always verified.
   */
  tlsCa?: string;
}

export class RedisSource implements ImportSource {
  readonly description: string;
  private readonly redis: Redis;
  private runId: string | undefined;
  private jsonModule: boolean | undefined;
  constructor(private readonly opts: RedisSourceOptions) {
    if (!/^rediss?:\/\//i.test(opts.url)) throw new UsageError('--redis must be a redis:// or rediss:// URL');
    try {
      registerSecret(decodeURIComponent(new URL(opts.url).password));
    } catch {
      throw new UsageError(`${redactUrl(opts.url)}: not a valid URL`);
    }
    this.description = `Redis ${redactUrl(opts.url)} keys ${opts.pattern ?? '*'}`;
    const tls = /^rediss:/i.test(opts.url);
    if (opts.tlsCa && !tls)
      throw new UsageError(`a CA file (${opts.tlsCa}) is for a rediss:// (TLS) URL, not redis://`);
    let ca: Buffer | undefined;
    try {
      if (opts.tlsCa) ca = readFileSync(opts.tlsCa);
    } catch (err) {
      throw new UsageError(
        `Redis CA file ${opts.tlsCa}: ${(err as Error).message}`,
        'give a PEM file (--redis-ca or import.redis.tls_ca)',
      );
    }
    this.redis = new Redis(opts.url, {
      ...(ca ? { tls: { ca } } : {}),
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    this.redis.on('error', (err: Error) => {
      this.lastError = err;
    });
  }
  private lastError: Error | undefined;
  /** `work`, or the connection's last error if the connection ends first (ioredis would wait forever). */
  private guarded<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onEnd = () => reject(this.lastError ?? new Error('connection closed'));
      this.redis.once('end', onEnd);
      work.then(resolve, reject).finally(() => this.redis.off('end', onEnd));
    });
  }
  private async ready(): Promise<void> {
    if (this.runId !== undefined) return;
    try {
      if (this.redis.status === 'wait') await this.guarded(this.redis.connect());
      const info = await this.guarded(this.redis.info('server'));
      this.runId = /run_id:(\w+)/.exec(info)?.[1] ?? 'unknown';
      const mods = (await this.redis.call('MODULE', 'LIST').catch(() => [])) as unknown[];
      this.jsonModule = JSON.stringify(mods).toLowerCase().includes('rejson');
    } catch (err) {
      throw new PgwardError(
        `cannot read Redis ${redactUrl(this.opts.url)}: ${redact((err as Error).message)}`,
        {
          hint: 'check that the server is running and the URL and password are right',
        },
      );
    }
  }
  async fingerprint(): Promise<string> {
    await this.ready();
    return `redis ${this.runId}`;
  }
  async *batches(batchSize: number, resumeFrom?: string): AsyncIterable<SourceBatch> {
    await this.ready();
    let cursor = '0';
    if (resumeFrom) {
      const [rid, cur] = resumeFrom.split(':');
      if (rid === this.runId && cur) cursor = cur;
      if (cur === '0' && rid === this.runId) return;
    }
    let batch: SourceRecord[] = [];
    for await (const page of this.pages(cursor)) {
      batch.push(...(await this.decode(page)));
      if (batch.length >= batchSize || (page.cursor === '0' && batch.length > 0)) {
        yield { records: batch, position: `${this.runId}:${page.cursor}` };
        batch = [];
      }
    }
  }
  /**
   * The SCAN pages from `cursor` on, each with its keys' string values (MGET: a key of another type reads
   * as null). Up to PAGES_AHEAD pages are on the wire while the current one is decoded: reading is then
   * bound by decoding, not by round trips (measured: a third of a 1M-key read was waiting).
   */
  private async *pages(cursor: string): AsyncIterable<Page> {
    const ahead: Array<Promise<Page>> = [];
    let next: string | undefined = cursor;
    try {
      for (;;) {
        while (next !== undefined && ahead.length < PAGES_AHEAD) {
          const [after, keys]: [string, string[]] = await this.redis.scan(
            next,
            'MATCH',
            this.opts.pattern ?? '*',
            'COUNT',
            this.opts.scanCount ?? 5000,
          );
          next = after === '0' ? undefined : after;
          const page = (keys.length > 0 ? this.redis.mgetBuffer(...keys) : Promise.resolve([])).then(
            (strings) => ({ cursor: after, keys, strings }),
          );
          page.catch(() => {}); // awaited below; a consumer that stops early must not leave it unhandled
          ahead.push(page);
        }
        const page = ahead.shift();
        if (!page) return;
        yield await page;
      }
    } finally {
      ahead.length = 0;
    }
  }
  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /**
   * A page's values, mapped to JSON (keys gone since SCAN returned them are left out). MGET read the
   * strings (most keys); the keys it found no string for are asked their TYPE and read by type in one
   * more round trip.
   */
  private async decode({ keys, strings }: Page): Promise<SourceRecord[]> {
    const rest = keys.flatMap((key, i) => (strings[i] === null ? [key] : []));
    const others = rest.length > 0 ? await this.readOthers(rest) : new Map<string, OtherValue>();
    const out: SourceRecord[] = [];
    keys.forEach((key, i) => {
      const origin = `redis key ${key}`;
      const str = strings[i];
      if (str !== null && str !== undefined) {
        out.push(this.withKeyField(stringRecord(key, str, origin)));
        return;
      }
      const other = others.get(key);
      if (!other || other.type === 'none' || (other.raw === null && !other.err)) return; // deleted meanwhile
      const rec = other.err
        ? { kind: key, data: undefined, origin, error: `cannot read ${other.type}: ${other.err.message}` }
        : this.toRecord(key, other.type, other.raw, origin);
      out.push(this.withKeyField(rec));
    });
    return out;
  }
  /** TYPE of each key, then each value read by its type (a key may have become a string meanwhile). */
  private async readOthers(keys: string[]): Promise<Map<string, OtherValue>> {
    const typed = this.redis.pipeline();
    for (const k of keys) typed.type(k);
    const types = ((await typed.exec()) ?? []).map(([, t]) => String(t ?? 'none'));
    const reads = this.redis.pipeline();
    types.forEach((type, i) => {
      const key = keys[i]!;
      if (type === 'string') reads.getBuffer(key);
      else if (type === 'hash') reads.hgetall(key);
      else if (type === 'list') reads.lrange(key, 0, -1);
      else if (type === 'set') reads.smembers(key);
      else if (type === 'zset') reads.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'ReJSON-RL' && this.jsonModule) reads.call('JSON.GET', key);
      else reads.echo('');
    });
    const values = (await reads.exec()) ?? [];
    return new Map(
      keys.map((key, i) => {
        const [err, raw] = (values[i] ?? [new Error('no reply'), null]) as [Error | null, unknown];
        return [key, { type: types[i]!, err, raw }];
      }),
    );
  }
  private toRecord(key: string, type: string, raw: unknown, origin: string): SourceRecord {
    const ok = (data: unknown): SourceRecord => ({ kind: key, data, origin });
    switch (type) {
      case 'string':
        return stringRecord(key, raw as Buffer, origin);
      case 'hash':
        return ok(raw);
      case 'list':
        return ok(raw);
      case 'set':
        return ok([...(raw as string[])].sort());
      case 'zset': {
        const flat = raw as string[];
        const arr: Array<{ member: string; score: number }> = [];
        for (let i = 0; i < flat.length; i += 2) arr.push({ member: flat[i]!, score: Number(flat[i + 1]) });
        return ok(arr);
      }
      case 'ReJSON-RL':
        if (this.jsonModule) return ok(JSON.parse(String(raw)));
        return {
          kind: key,
          data: undefined,
          origin,
          error: 'a RedisJSON value, but the module is not loaded',
        };
      default:
        return {
          kind: key,
          data: undefined,
          origin,
          error: `Redis type ${type} is not imported (strings, hashes, lists, sets, sorted sets and RedisJSON are)`,
        };
    }
  }
  private withKeyField(rec: SourceRecord): SourceRecord {
    if (!this.opts.keyField || rec.error) return rec;
    const v = (rec.data as Record<string, unknown> | null)?.[this.opts.keyField];
    if (typeof v === 'string' && v !== '') return { ...rec, kind: v };
    return { ...rec, error: `no string field "${this.opts.keyField}" to take the key from (--kind-from)` };
  }
}

/** SCAN pages read ahead of the one being decoded. */
const PAGES_AHEAD = 3;

interface Page {
  /** The cursor after this page ('0': the walk is complete). */
  cursor: string;
  keys: string[];
  /** MGET's reply: each key's value if it is a string, else null. */
  strings: Array<Buffer | null>;
}

interface OtherValue {
  type: string;
  err: Error | null;
  raw: unknown;
}

/** The first byte that is not JSON whitespace ({, [ or " start a JSON document), or -1. */
function firstNonSpace(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return -1;
}

function stringRecord(key: string, buf: Buffer, origin: string): SourceRecord {
  const bad = firstInvalidUtf8(buf);
  if (bad >= 0)
    return {
      kind: key,
      data: undefined,
      origin,
      error: `not UTF-8: invalid byte 0x${buf[bad]!.toString(16).padStart(2, '0')} at byte offset ${bad}`,
    };
  const text = buf.toString('utf8');
  const t = firstNonSpace(buf);
  if (t === 0x7b || t === 0x5b || t === 0x22) {
    try {
      return { kind: key, data: JSON.parse(text), origin, json: text };
    } catch {
      // not JSON after all: kept as a plain string
    }
  }
  return { kind: key, data: text, origin };
}
