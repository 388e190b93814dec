import { calledFunctions, isObj, kindOf } from '../ast.js';
import { addedColumns, defaultExpr } from '../support/helpers.js';
import type { Rule, RuleContext } from '../types.js';

// PG 11+ stores a non-volatile default in the catalog (no rewrite); a volatile default, or any default
// before PG 11, rewrites the table under ACCESS EXCLUSIVE (squawk adding-field-with-default, Atlas PG302).
const VOLATILE = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'statement_timestamp',
  'random_normal',
  'gen_random_bytes',
  'setseed',
  'currval',
  'lastval',
  'pg_current_xact_id',
]);
// Functions known to be stable or immutable (so the PG 11 fast default applies).
const NON_VOLATILE = new Set([
  'now',
  'current_timestamp',
  'transaction_timestamp',
  'lower',
  'upper',
  'coalesce',
  'concat',
  'to_timestamp',
  'to_date',
  'make_interval',
  'jsonb_build_object',
  'json_build_object',
  'array',
  'length',
  'timezone',
  'date_trunc',
  'to_jsonb',
  'format',
  'replace',
  'md5',
  'abs',
  'round',
]);

/** 'v' volatile, 'u' unknown function (may be volatile), undefined not volatile. */
function volatility(expr: unknown, ctx: RuleContext): { fn: string; kind: 'v' | 'u' } | undefined {
  for (const fn of calledFunctions(expr)) {
    const v = ctx.live?.volatility(fn);
    if (v === 'v' || (v === undefined && VOLATILE.has(fn))) return { fn, kind: 'v' };
    if (v === undefined && !NON_VOLATILE.has(fn)) return { fn, kind: 'u' };
  }
  return undefined;
}

function isNullConst(expr: unknown): boolean {
  return kindOf(expr) === 'A_Const' && isObj(expr) && isObj(expr.A_Const) && expr.A_Const.isnull === true;
}

export const rule: Rule = {
  id: 'adding-field-with-default',
  category: 'blocking',
  severity: 'error',
  message: 'ADD COLUMN with this DEFAULT rewrites the whole table under ACCESS EXCLUSIVE',
  why: 'A volatile default (e.g. gen_random_uuid(), clock_timestamp()) must be computed for every existing row, and before PostgreSQL 11 any default did; the table is rewritten while reads and writes wait.',
  fix: 'Add the column without a default (or with a constant one), SET DEFAULT for new rows, then backfill existing rows in batches.',
  examples: {
    bad: ['ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();'],
    good: [
      'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT false;',
      'ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT now();',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example 1',
      sql: 'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT false;',
      expect: [],
    },
    {
      name: 'fine example 2',
      sql: 'ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT now();',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a constant default rewrites the table before PostgreSQL 11',
      sql: 'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT false;',
      pgVersion: '10',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'DEFAULT NULL is no default, also before 11',
      sql: 'ALTER TABLE users ADD COLUMN note text DEFAULT NULL;',
      pgVersion: '10',
      expect: [],
    },
    {
      name: 'an unknown function may be volatile',
      sql: 'ALTER TABLE users ADD COLUMN code text DEFAULT make_code();',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE tokens (id bigint);\nALTER TABLE tokens ADD COLUMN token uuid DEFAULT gen_random_uuid();',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s, ctx) {
    const hits = [];
    for (const c of addedColumns(s)) {
      const expr = defaultExpr(c.col);
      if (expr === undefined || isNullConst(expr)) continue;
      const vol = volatility(expr, ctx);
      if (vol) {
        hits.push({
          lock: 'ACCESS EXCLUSIVE' as const,
          relation: c.table,
          table: c.table,
          severity: vol.kind === 'v' ? ('error' as const) : ('warning' as const),
          message:
            vol.kind === 'v'
              ? `ADD COLUMN ${c.name} DEFAULT ${vol.fn}(): a volatile default rewrites ${c.table} under ACCESS EXCLUSIVE`
              : `ADD COLUMN ${c.name} DEFAULT ${vol.fn}(): rewrites ${c.table} under ACCESS EXCLUSIVE if ${vol.fn} is volatile (connect with --env/--url to check)`,
        });
      } else if (ctx.pgVersion < 11) {
        hits.push({
          lock: 'ACCESS EXCLUSIVE' as const,
          relation: c.table,
          table: c.table,
          message: `ADD COLUMN ${c.name} with a DEFAULT rewrites ${c.table} on PostgreSQL ${ctx.pgVersion} (fast defaults need 11+)`,
        });
      }
    }
    return hits;
  },
};
