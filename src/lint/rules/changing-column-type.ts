import { as, str, type TypeRef, tableKey, typeRef } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule } from '../types.js';

// ALTER COLUMN TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE, unless the change is
// binary-coercible (strong_migrations' safe list): then it is a catalog update only.
const CATALOG_NAME: Record<string, string> = {
  varchar: 'character varying',
  text: 'text',
  numeric: 'numeric',
  varbit: 'bit varying',
  inet: 'inet',
  timestamptz: 'timestamp with time zone',
  citext: 'citext',
  // the same type spelled the parser's way: ALTER COLUMN a TYPE int on an integer column changes nothing
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  bpchar: 'character',
  timestamp: 'timestamp without time zone',
  time: 'time without time zone',
  timetz: 'time with time zone',
};

interface Parsed {
  base: string;
  mods: number[];
}
function parseFormatted(t: string): Parsed {
  const m = /^(.*?)(?:\(([\d,\s]+)\))?$/.exec(t.trim());
  return { base: m?.[1] ?? t, mods: (m?.[2] ?? '').split(',').filter(Boolean).map(Number) };
}

/** true: no rewrite; 'utc': no rewrite only when the session TimeZone is UTC (PG 12+); false: rewrite. */
export function coercible(oldType: string, to: TypeRef, pgVersion: number): boolean | 'utc' {
  if (to.array) return false;
  const from = parseFormatted(oldType);
  const target = CATALOG_NAME[to.name] ?? to.name;
  if (from.base === target && JSON.stringify(from.mods) === JSON.stringify(to.typmods)) return true;
  if (from.base === 'character varying') {
    if (target === 'text') return true;
    if (target === 'character varying')
      return to.typmods.length === 0 || (from.mods[0] !== undefined && to.typmods[0]! >= from.mods[0]);
  }
  if (from.base === 'text' && target === 'character varying' && to.typmods.length === 0) return true;
  if (from.base === 'numeric' && target === 'numeric') {
    if (to.typmods.length === 0) return true;
    const [p, s = 0] = from.mods;
    const [p2, s2 = 0] = to.typmods;
    return p !== undefined && p2 !== undefined && p2 >= p && s2 === s;
  }
  if (from.base === 'bit varying' && target === 'bit varying')
    return to.typmods.length === 0 || to.typmods[0]! >= (from.mods[0] ?? Infinity);
  if (from.base === 'cidr' && target === 'inet') return true;
  if (from.base === 'timestamp without time zone' && target === 'timestamp with time zone' && pgVersion >= 12)
    return 'utc';
  return false;
}

const UNBOUNDED = new Set(['text', 'varchar']);

export const rule: Rule = {
  id: 'changing-column-type',
  category: 'blocking',
  severity: 'error',
  message: 'ALTER COLUMN ... TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE',
  why: 'Unless the new type is binary-coercible with the old one (varchar → text, varchar(n) → varchar(m > n)), every row and index is rewritten while reads and writes wait.',
  fix: 'Add a new column of the new type, write to both, backfill in batches, switch reads, then drop the old column.',
  examples: {
    bad: [
      'ALTER TABLE users ALTER COLUMN id TYPE bigint;',
      'ALTER TABLE t ALTER COLUMN a TYPE integer USING a::integer;',
    ],
    good: ["ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x';"],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'ALTER TABLE users ALTER COLUMN id TYPE bigint;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'flagged example 2',
      sql: 'ALTER TABLE t ALTER COLUMN a TYPE integer USING a::integer;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x';", expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ALTER COLUMN id TYPE bigint;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'offline the old type is unknown, so even TYPE text is reported',
      sql: 'ALTER TABLE users ALTER COLUMN name TYPE text;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AlterColumnType'],
  check(s, ctx) {
    const hits = [];
    for (const c of cmdsOf(s)) {
      if (c.subtype !== 'AT_AlterColumnType') continue;
      const col = (str(c.cmd.name) ?? '?').toLowerCase();
      const def = as(c.cmd.def, 'ColumnDef') ?? {};
      const to = typeRef(def.typeName);
      const using = def.raw_default !== undefined;
      const info = ctx.live?.table(tableKey(c.table));
      const old = info?.columns.get(col);
      const base = { lock: 'ACCESS EXCLUSIVE' as const, relation: c.table, table: c.table };
      if (!to) continue;
      if (old && !using) {
        const ok = coercible(old.type, to, ctx.pgVersion);
        if (ok === true) continue;
        if (ok === 'utc') {
          hits.push({
            ...base,
            severity: 'warning' as const,
            message: `${c.table}.${col} timestamp → timestamptz is a rewrite unless the session TimeZone is UTC`,
          });
          continue;
        }
        const checks = info?.checkedColumns.has(col) ? ' (CHECK constraints on it are re-checked too)' : '';
        hits.push({
          ...base,
          message: `${c.table}.${col} ${old.type} → ${to.name}${to.typmods.length ? `(${to.typmods.join(',')})` : ''} rewrites ${c.table} and its indexes${checks}`,
        });
        continue;
      }
      const maybe = !using && UNBOUNDED.has(to.name) && to.typmods.length === 0;
      hits.push({
        ...base,
        severity: maybe ? ('warning' as const) : ('error' as const),
        message: using
          ? `${c.table}.${col} TYPE ... USING rewrites ${c.table} and its indexes`
          : maybe
            ? `${c.table}.${col} TYPE ${to.name} rewrites ${c.table} unless the column is varchar today (connect with --env/--url to check)`
            : `${c.table}.${col} TYPE ${to.name}${to.typmods.length ? `(${to.typmods.join(',')})` : ''} rewrites ${c.table} and its indexes unless binary-coercible`,
      });
    }
    return hits;
  },
};
