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

const MOD = 1n << 128n;

/**
 * An order-independent hash of a set of (key, value) rows: the sum modulo 2^128 of each row's sha256
 * (first 16 bytes). Adding the same rows in any order gives the same digest.
 */
export class ContentHash {
  private sum = 0n;
  count = 0;
  add(key: string, value: unknown): void {
    const h = createHash('sha256').update(key).update('\u0000').update(canonicalJson(value)).digest();
    this.sum = (this.sum + BigInt(`0x${h.subarray(0, 16).toString('hex')}`)) % MOD;
    this.count++;
  }
  merge(other: ContentHash): void {
    this.sum = (this.sum + other.sum) % MOD;
    this.count += other.count;
  }
  digest(): string {
    return this.sum.toString(16).padStart(32, '0');
  }
}
