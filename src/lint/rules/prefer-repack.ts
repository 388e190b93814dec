import { as, list, relName, str } from '../ast.js';
import type { Rule } from '../types.js';

// VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE (squawk prefer-repack).
export const rule: Rule = {
  id: 'prefer-repack',
  category: 'blocking',
  severity: 'error',
  message: 'VACUUM FULL / CLUSTER rewrite the table under ACCESS EXCLUSIVE',
  why: 'Reads and writes wait for the full copy of the table and its indexes.',
  fix: 'Use pg_repack (or REPACK CONCURRENTLY on PostgreSQL 19+); plain VACUUM does not block.',
  examples: {
    bad: ['VACUUM FULL big_table;', 'CLUSTER big_table USING big_table_pkey;'],
    good: ['VACUUM (ANALYZE) big_table;'],
  },
  cases: [
    { name: 'flagged example 1', sql: 'VACUUM FULL big_table;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    {
      name: 'flagged example 2',
      sql: 'CLUSTER big_table USING big_table_pkey;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'VACUUM (ANALYZE) big_table;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nVACUUM FULL big_table;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'VACUUM (FULL) with options',
      sql: 'VACUUM (FULL, ANALYZE) big_table;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'plain VACUUM in a script', sql: 'VACUUM big_table;', expect: [] },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE big_table (id bigint);\nVACUUM FULL big_table;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['VacuumStmt', 'ClusterStmt'],
  check(s) {
    if (s.kind === 'ClusterStmt') {
      const t = s.body.relation ? relName(s.body.relation) : 'every clustered table';
      return [
        {
          lock: 'ACCESS EXCLUSIVE',
          relation: t,
          table: s.body.relation ? t : undefined,
          message: `CLUSTER ${t} rewrites it under ACCESS EXCLUSIVE`,
        },
      ];
    }
    if (
      s.kind !== 'VacuumStmt' ||
      !list(s.body.options).some((o) => str(as(o, 'DefElem')?.defname) === 'full')
    )
      return [];
    const rels = list(s.body.rels).map((r) => relName(as(r, 'VacuumRelation')?.relation));
    if (rels.length === 0)
      return [
        {
          lock: 'ACCESS EXCLUSIVE',
          relation: 'every table',
          message: 'VACUUM FULL rewrites every table of the database',
        },
      ];
    return rels.map((t) => ({
      lock: 'ACCESS EXCLUSIVE' as const,
      relation: t,
      table: t,
      message: `VACUUM FULL ${t} rewrites it under ACCESS EXCLUSIVE`,
    }));
  },
};
