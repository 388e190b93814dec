// Canonical JSON and content hashes for the import proof. jsonb reorders keys, drops duplicate keys and
// keeps numbers' text; both sides are parsed into JavaScript values and written with sorted keys, so a
// source document and the stored jsonb hash alike exactly when they mean the same JSON.
import { createHash } from 'node:crypto';

/**
 * JSON text with object keys sorted (recursively), no whitespace: one spelling per value.
 *
 * @example
 * ```ts
 * import { canonicalJson } from 'pgward';
 * console.log(canonicalJson({ b: 1, a: [true, null] })); // {"a":[true,null],"b":1}
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * An order-independent hash of a set of (key, value) rows: each row's sha256 (first 16 bytes, as four
 * 32-bit words) summed word by word modulo 2^32. Adding the same rows in any order gives the same digest.
 */
export class ContentHash {
  private readonly sum = [0, 0, 0, 0];
  count = 0;
  add(key: string, value: unknown): void {
    const h = createHash('sha256').update(key).update('\u0000').update(canonicalJson(value)).digest();
    for (let w = 0; w < 4; w++) this.sum[w] = (this.sum[w]! + h.readUInt32BE(w * 4)) >>> 0;
    this.count++;
  }
  merge(other: ContentHash): void {
    for (let w = 0; w < 4; w++) this.sum[w] = (this.sum[w]! + other.sum[w]!) >>> 0;
    this.count += other.count;
  }
  digest(): string {
    return this.sum.map((w) => w.toString(16).padStart(8, '0')).join('');
  }
}
