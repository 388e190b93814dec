// "Is the target the same data as the source?", asked before an app is pointed at it: the same tables with
// the same columns, indexes and constraints (clone's drift code), exact row counts per table (and with
// --tables-hash, clone's order-independent content hash), and sequences no behind the source's (new rows
// would collide). Each side is read in one REPEATABLE READ snapshot. Every difference is listed.
import type pg from 'pg';
import { type CopyTable, listCopyTables, readSequences } from '../clone/copy-plan.js';
import { columnDrift, onlyOnTarget } from '../clone/drift.js';
import { judge, measure, type TableCheck, type VerifyMode } from '../clone/validate.js';
import { BOOKKEEPING_TABLES } from './switch-journal.js';

export interface SwitchValidation {
  ok: boolean;
  mode: VerifyMode;
  tables: TableCheck[];
  /** Schema and sequence differences, one line each (`app.users: columns missing on the target: email`). */
  problems: string[];
  /** Tables whose rows were compared. */
  compared: number;
  /** Rows on the source, all tables. */
  rows: number;
}

const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

async function snapshot<T>(c: pg.Client, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    return await fn();
  } finally {
    await c.query('ROLLBACK').catch(() => {});
  }
}

/** Index definitions (name left out: a restore may rename) and constraints, per table. */
async function structure(c: pg.Client): Promise<Map<string, Set<string>>> {
  const r = await c.query<{ t: string; item: string }>(`
    SELECT n.nspname || '.' || t.relname AS t,
           'index ' || regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', 'CREATE \\1INDEX ON ') AS item
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgward') AND n.nspname NOT LIKE 'pg\\_%'
    UNION ALL
    SELECT n.nspname || '.' || t.relname, 'constraint ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM pg_constraint co JOIN pg_class t ON t.oid = co.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgward') AND n.nspname NOT LIKE 'pg\\_%'`);
  const out = new Map<string, Set<string>>();
  for (const row of r.rows) {
    const s = out.get(row.t) ?? new Set<string>();
    s.add(row.item);
    out.set(row.t, s);
  }
  return out;
}

function structureProblems(src: Map<string, Set<string>>, dst: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  for (const [table, items] of src) {
    const other = dst.get(table) ?? new Set<string>();
    const missing = [...items].filter((i) => !other.has(i));
    const extra = [...other].filter((i) => !items.has(i));
    if (missing.length) out.push(`${table}: missing on the target: ${missing.join('; ')}`);
    if (extra.length) out.push(`${table}: only on the target: ${extra.join('; ')}`);
  }
  return out;
}

interface Side {
  tables: CopyTable[];
  structure: Map<string, Set<string>>;
  sequences: Map<string, bigint | null>;
  measures: Map<string, { rows: number; hash?: string }>;
}

async function readSide(c: pg.Client, mode: VerifyMode, only?: Set<string>): Promise<Side> {
  return snapshot(c, async () => {
    const tables = (await listCopyTables(c)).filter((t) => !BOOKKEEPING_TABLES.has(key(t)));
    const seqs = await readSequences(c);
    const measures = new Map<string, { rows: number; hash?: string }>();
    for (const t of tables) {
      if (only && !only.has(key(t))) continue;
      measures.set(key(t), await measure(c, t, new Set(), mode));
    }
    return {
      tables,
      structure: await structure(c),
      sequences: new Map(seqs.map((s) => [key(s), s.isCalled ? BigInt(s.lastValue) : null])),
      measures,
    };
  });
}

function sequenceProblems(src: Side, dst: Side): string[] {
  const out: string[] = [];
  for (const [name, v] of src.sequences) {
    if (!dst.sequences.has(name)) out.push(`sequence ${name}: missing on the target`);
    else {
      const t = dst.sequences.get(name)!;
      if (v !== null && (t === null || t < v))
        out.push(
          `sequence ${name}: at ${t ?? 'its start'} on the target, ${v} on the source (new rows would reuse ids)`,
        );
    }
  }
  return out;
}

/**
 * Compares the target database with the source, table by table. Read-only on both sides.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { validateSwitchTarget } from 'pgward';
 * const a = new pg.Client('postgresql://localhost/app');
 * const b = new pg.Client('postgresql://localhost/app_new');
 * await Promise.all([a.connect(), b.connect()]);
 * const v = await validateSwitchTarget(a, b, 'count');
 * console.log(v.ok, v.problems, v.tables.filter((t) => !t.ok));
 * ```
 */
export async function validateSwitchTarget(
  source: pg.Client,
  target: pg.Client,
  mode: VerifyMode,
): Promise<SwitchValidation> {
  const src = await readSide(source, mode);
  const comparable = new Set(src.tables.map(key));
  const dst = await readSide(target, mode, comparable);
  const drift = columnDrift(src.tables, dst.tables);
  const problems: string[] = [];
  for (const t of onlyOnTarget(src.tables, dst.tables)) problems.push(`${key(t)}: only on the target`);
  for (const [table, what] of drift) problems.push(`${table}: ${what}`);
  problems.push(...structureProblems(src.structure, dst.structure), ...sequenceProblems(src, dst));
  const tables: TableCheck[] = [];
  let rows = 0;
  for (const t of src.tables) {
    const s = src.measures.get(key(t))!;
    rows += s.rows;
    const d = drift.has(key(t)) ? undefined : dst.measures.get(key(t));
    const check = judge(key(t), s, d ?? null, []);
    if (drift.has(key(t))) check.problem = 'columns differ (see above)';
    tables.push(check);
  }
  return {
    ok: problems.length === 0 && tables.every((t) => t.ok),
    mode,
    tables,
    problems,
    compared: tables.length,
    rows,
  };
}
