// The content hash of rows computed by PostgreSQL: per row, sha256 of the key, a newline and the jsonb's
// text (PostgreSQL's one spelling of a jsonb value: keys ordered, fixed spacing), its first 16 bytes as
// four 32-bit words, summed word by word (order-independent) and reduced modulo 2^32 here. The writer
// hashes each batch's staged rows (what was read from the source, as PostgreSQL parsed it) and the proof
// hashes the table's rows for the same keys in one statement: no row crosses the network for the proof.

/**
 * A statement returning the count and the four sums over `from` (a FROM clause whose rows have the key
 * expression `k` and the jsonb expression `d`); each row's sha256 computed once: `OFFSET 0` keeps the
 * planner from inlining the subquery, which would compute sha256 again for each of the 16 get_byte calls
 * (5× slower).
 */
export function sqlHashQuery(from: string, k: string, d: string): string {
  const word = (o: number) =>
    [0, 1, 2, 3].map((b) => `(get_byte(h, ${o + b})::bigint << ${24 - 8 * b})`).join(' | ');
  const sums = [0, 4, 8, 12].map((o, i) => `coalesce(sum(${word(o)}), 0)::text AS w${i}`);
  return `SELECT count(*)::text AS n, ${sums.join(', ')}
    FROM (SELECT sha256(convert_to(${k} || E'\\n' || ${d}::text, 'UTF8')) AS h FROM ${from} OFFSET 0) AS rows`;
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
    for (let i = 0; i < 4; i++) this.words[i] = (this.words[i]! + BigInt(ws[i]!)) % MOD;
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
