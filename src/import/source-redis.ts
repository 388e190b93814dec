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

/** TYPE and, for strings, the value of every key: read-only, a few microseconds per key. */
const TYPES_AND_STRINGS = `local out = {}
for i, k in ipairs(KEYS) do
  local t = redis.call('TYPE', k).ok
  out[2 * i - 1] = t
  if t == 'string' then out[2 * i] = redis.call('GET', k) else out[2 * i] = false end
end
return out`;

export interface RedisSourceOptions {
  /** redis:// or rediss:// (TLS) URL; a password in it is kept out of every output. */
  url: string;
  /** SCAN MATCH pattern (default `*`). */
  pattern?: string;
  /** Keys per SCAN call (the COUNT hint, default 5000: one Lua call reads a page's strings). */
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
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        this.opts.pattern ?? '*',
        'COUNT',
        this.opts.scanCount ?? 5000,
      );
      cursor = next;
      if (keys.length > 0) batch.push(...(await this.read(keys)));
      if (batch.length >= batchSize || (cursor === '0' && batch.length > 0)) {
        yield { records: batch, position: `${this.runId}:${cursor}` };
        batch = [];
      }
    } while (cursor !== '0');
  }
  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /**
   * The keys' values, mapped to JSON (keys gone since SCAN returned them are left out). One round trip
   * asks every key's TYPE and GET together (most keys are strings); a second reads the other types.
   */
  private async read(keys: string[]): Promise<SourceRecord[]> {
    const replies = await this.typesAndStrings(keys);
    const rest = this.redis.pipeline();
    const others: number[] = [];
    const types = keys.map((_, i) => String(replies[2 * i]?.[1] ?? 'none'));
    keys.forEach((key, i) => {
      const type = types[i]!;
      if (type === 'none' || type === 'string') return;
      others.push(i);
      if (type === 'hash') rest.hgetall(key);
      else if (type === 'list') rest.lrange(key, 0, -1);
      else if (type === 'set') rest.smembers(key);
      else if (type === 'zset') rest.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'ReJSON-RL' && this.jsonModule) rest.call('JSON.GET', key);
      else rest.echo('');
    });
    const second = others.length > 0 ? ((await rest.exec()) ?? []) : [];
    const values = new Map<number, [Error | null, unknown]>();
    others.forEach((i, j) => {
      values.set(i, (second[j] ?? [new Error('no reply'), null]) as [Error | null, unknown]);
    });
    const out: SourceRecord[] = [];
    keys.forEach((key, i) => {
      const type = types[i]!;
      if (type === 'none') return;
      const [err, raw] =
        type === 'string'
          ? ((replies[2 * i + 1] ?? [null, null]) as [Error | null, unknown])
          : values.get(i)!;
      if (raw === null && !err) return; // deleted between TYPE and the read
      const origin = `redis key ${key}`;
      const rec = err
        ? { kind: key, data: undefined, origin, error: `cannot read ${type}: ${err.message}` }
        : this.toRecord(key, type, raw, origin);
      out.push(this.withKeyField(rec));
    });
    return out;
  }
  /**
   * [err, TYPE], [err, GET] per key. A read-only Lua script does it in one command (an order of magnitude
   * less client work than 2 commands per key); where scripting is not allowed, a pipeline does the same.
   */
  private async typesAndStrings(keys: string[]): Promise<Array<[Error | null, unknown]>> {
    if (this.scripting !== false) {
      try {
        const flat = (await this.redis.callBuffer(
          'EVAL',
          TYPES_AND_STRINGS,
          keys.length,
          ...keys,
        )) as Array<Buffer | null>;
        this.scripting = true;
        const out: Array<[Error | null, unknown]> = [];
        for (let i = 0; i < flat.length; i += 2)
          out.push([null, flat[i]!.toString()], [null, flat[i + 1] ?? null]);
        return out;
      } catch (err) {
        if (this.scripting === true) throw err;
        this.scripting = false;
      }
    }
    const p = this.redis.pipeline();
    for (const k of keys) p.type(k).getBuffer(k);
    return ((await p.exec()) ?? []) as Array<[Error | null, unknown]>;
  }
  private scripting: boolean | undefined;
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
  const t = text.trimStart()[0];
  if (t === '{' || t === '[' || t === '"') {
    try {
      return { kind: key, data: JSON.parse(text), origin, json: text };
    } catch {
      // not JSON after all: kept as a plain string
    }
  }
  return { kind: key, data: text, origin };
}
