// Per-database object health: sequences near exhaustion, dead tuples autovacuum is not keeping up with,
// invalid and unused indexes. All read the current database's catalogs and statistics only.
import { type Q, rows } from './sql.js';

export interface SequenceUse {
  name: string;
  /** Owning column (serial / identity), whose type may cap the sequence well below its max_value. */
  column: string | null;
  columnType: string | null;
  usedRatio: number;
}

/**
 * How much of each sequence is used, against the smaller of its own bounds and its owning column's type:
 * a bigint sequence feeding an int4 column runs out at 2^31 - 1.
 */
export async function sequences(c: Q): Promise<SequenceUse[]> {
  return rows<SequenceUse>(
    c,
    `WITH s AS (
       SELECT s.schemaname, s.sequencename, s.last_value::float8 AS last, s.min_value::float8 AS lo,
              s.max_value::float8 AS hi, s.increment_by, t.typname, a.attname, tc.relname AS tbl,
              tn.nspname AS tbl_schema
         FROM pg_sequences s
         JOIN pg_namespace n ON n.nspname = s.schemaname
         JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
         LEFT JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass
                              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
         LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         LEFT JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_class tc ON tc.oid = d.refobjid
         LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
        WHERE s.last_value IS NOT NULL)
     SELECT format('%I.%I', schemaname, sequencename) AS name,
            CASE WHEN attname IS NULL THEN NULL ELSE format('%I.%I.%I', tbl_schema, tbl, attname) END AS column,
            typname AS "columnType",
            CASE WHEN increment_by > 0 THEN
                   (last - lo) / nullif(least(hi, CASE typname WHEN 'int4' THEN 2147483647
                                                               WHEN 'int2' THEN 32767 ELSE hi END) - lo, 0)
                 ELSE
                   (hi - last) / nullif(hi - greatest(lo, CASE typname WHEN 'int4' THEN -2147483648
                                                                       WHEN 'int2' THEN -32768 ELSE lo END), 0)
            END AS "usedRatio"
       FROM s ORDER BY 4 DESC NULLS LAST LIMIT 20`,
  );
}

export interface DeadTuples {
  table: string;
  live: number;
  dead: number;
  deadRatio: number;
  /** Dead tuples past which autovacuum should have vacuumed the table (global settings). */
  autovacuumThreshold: number;
  lastVacuum: string | null;
}

export async function deadTuples(c: Q, minDead: number): Promise<DeadTuples[]> {
  return rows<DeadTuples>(
    c,
    `SELECT format('%I.%I', s.schemaname, s.relname) AS "table", s.n_live_tup::float8 AS live,
            s.n_dead_tup::float8 AS dead,
            (s.n_dead_tup::float8 / nullif(s.n_live_tup + s.n_dead_tup, 0))::float8 AS "deadRatio",
            (current_setting('autovacuum_vacuum_threshold')::float8
              + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0)) AS "autovacuumThreshold",
            greatest(s.last_vacuum, s.last_autovacuum)::text AS "lastVacuum"
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.n_dead_tup >= $1
      ORDER BY 4 DESC NULLS LAST, 3 DESC LIMIT 20`,
    [minDead],
  );
}

export async function invalidIndexes(c: Q): Promise<{ index: string; table: string }[]> {
  // An index being built CONCURRENTLY is invalid until the build ends: not a problem, skip it.
  return rows(
    c,
    `SELECT i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS "table"
       FROM pg_index i
      WHERE NOT i.indisvalid
        AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
      ORDER BY 1 LIMIT 50`,
  );
}

export interface UnusedIndex {
  index: string;
  table: string;
  bytes: number;
}

/** Never scanned since the statistics were reset, and not enforcing a constraint. */
export async function unusedIndexes(c: Q, minBytes: number): Promise<UnusedIndex[]> {
  return rows<UnusedIndex>(
    c,
    `SELECT format('%I.%I', s.schemaname, s.indexrelname) AS index, format('%I.%I', s.schemaname, s.relname) AS "table",
            pg_relation_size(s.indexrelid)::float8 AS bytes
       FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
      WHERE s.idx_scan = 0 AND i.indisvalid AND NOT (i.indisprimary OR i.indisunique OR i.indisexclusion)
        AND pg_relation_size(s.indexrelid) >= $1
      ORDER BY 3 DESC LIMIT 20`,
    [minBytes],
  );
}
