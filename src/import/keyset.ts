// The keys an import has seen, as 64-bit hashes (two independent 32-bit string hashes) with a 32-bit hash
// of where each came from, in an open-addressing table of typed arrays: 12 bytes a slot, at most half
// full, so ~24 bytes per key instead of the key's string. Two different keys share a 64-bit hash with a
// probability of about n²/2^65 (3 in 100 million at a million keys); such a pair is reported as a
// collision, which stops the import rather than losing a row.

/** Two 32-bit hashes of a string's UTF-16 units (FNV-1a and a murmur-style mix, different seeds). */
export function hash64(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  return [a >>> 0, (b ^ (b >>> 16)) >>> 0];
}

/** FNV-1a of a string's UTF-16 units: hash64's first word, without the second (for origins). */
function fnv1a(s: string): number {
  let a = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
  return a >>> 0;
}

export type KeySeen = 'new' | 'same' | 'other';

export class KeyHashSet {
  private slots: Uint32Array;
  private used: Uint8Array;
  size = 0;
  constructor(capacity = 1 << 16) {
    this.slots = new Uint32Array(capacity * 3);
    this.used = new Uint8Array(capacity);
  }
  /** Adds the key: 'new', 'same' (seen before from the same origin), 'other' (from another origin). */
  add(key: string, origin: string): KeySeen {
    const [a, b] = hash64(key);
    const o = fnv1a(origin);
    const at = this.find(a, b);
    if (this.used[at]) return this.slots[at * 3 + 2] === o ? 'same' : 'other';
    this.put(at, a, b, o);
    if (++this.size * 2 > this.used.length) this.grow();
    return 'new';
  }
  has(key: string): boolean {
    const [a, b] = hash64(key);
    return this.used[this.find(a, b)] === 1;
  }
  private find(a: number, b: number): number {
    const mask = this.used.length - 1;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    while (this.used[i] && (this.slots[i * 3] !== a || this.slots[i * 3 + 1] !== b)) i = (i + 1) & mask;
    return i;
  }
  private put(at: number, a: number, b: number, o: number): void {
    this.used[at] = 1;
    this.slots[at * 3] = a;
    this.slots[at * 3 + 1] = b;
    this.slots[at * 3 + 2] = o;
  }
  private grow(): void {
    const old = this.slots;
    const oldUsed = this.used;
    this.slots = new Uint32Array(old.length * 2);
    this.used = new Uint8Array(oldUsed.length * 2);
    for (let i = 0; i < oldUsed.length; i++)
      if (oldUsed[i]) {
        const a = old[i * 3]!;
        const b = old[i * 3 + 1]!;
        this.put(this.find(a, b), a, b, old[i * 3 + 2]!);
      }
  }
}
