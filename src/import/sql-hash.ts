// The content hash of rows computed by PostgreSQL: per row, a 64-bit hash of the jsonb value with
// PostgreSQL's own jsonb hash (jsonb_hash_extended, the one hash indexes use: equal jsonb values hash
// equal, whatever their spelling), seeded by a hash of the key (so a value under another key hashes
// differently), and an independent 64-bit hash of the key; each split in two 32-bit words, the four
// words summed over the rows (order-independent) and reduced modulo 2^32 here. It hashes the jsonb's
// binary form: the text form through sha256 cost more than twice as much, 70% of it printing the jsonb as
// text (measured on 1M rows). Not a cryptographic hash: it detects lost, extra and changed rows (an
// accidental difference goes unseen with odds of about 2^-64), not a forgery. The writer hashes each
// batch's staged rows (what was read from the source, as PostgreSQL parsed it) and the proof hashes the
// table's rows: no row crosses the network for the proof.

/**
 * A statement returning the count and the four sums over `from` (a FROM clause whose rows have the key
 * expression `k` and the jsonb expression `d`). `OFFSET 0` keeps the planner from inlining the subquery,
 * which would compute each 64-bit hash once for each of its two words.
 */
export function sqlHashQuery(from: string, k: string, d: string): string {
  const key = (seed: number) => `hashtextextended((${k}) COLLATE "C", ${seed})`;
  const words = ['a >> 32', '(a << 32) >> 32', 'b >> 32', '(b << 32) >> 32'];
  const sums = words.map((w, i) => `coalesce(sum((${w})::int4), 0)::text AS w${i}`);
  return `SELECT count(*)::text AS n, ${sums.join(', ')}
    FROM (SELECT jsonb_hash_extended(${d}, ${key(0)}) AS a, ${key(1)} AS b FROM ${from} OFFSET 0) AS rows`;
}

export interface SqlHashRow {
  n: string;
  w0: string;
  w1: string;
  w2: string;
  w3: string;
}

const MOD = 1n << 32n;

export class SqlHash {
  count = 0;
  private readonly words = [0n, 0n, 0n, 0n];
  add(row: SqlHashRow): void {
    this.count += Number(row.n);
    const ws = [row.w0, row.w1, row.w2, row.w3];
    // the sums are of signed 32-bit words: reduced into 0..2^32-1
    for (let i = 0; i < 4; i++) this.words[i] = (((this.words[i]! + BigInt(ws[i]!)) % MOD) + MOD) % MOD;
  }
  digest(): string {
    return this.words.map((w) => w.toString(16).padStart(8, '0')).join('');
  }
  /** For a checkpoint: count and words, `n.w0.w1.w2.w3` in hex. */
  save(): string {
    return [this.count.toString(16), ...this.words.map((w) => w.toString(16))].join('.');
  }
  static load(s: string): SqlHash | undefined {
    const parts = s.split('.');
    if (parts.length !== 5 || !parts.every((p) => /^[0-9a-f]+$/.test(p))) return undefined;
    const h = new SqlHash();
    h.count = Number.parseInt(parts[0]!, 16);
    for (let i = 0; i < 4; i++) h.words[i] = BigInt(`0x${parts[i + 1]}`);
    return h;
  }
}
