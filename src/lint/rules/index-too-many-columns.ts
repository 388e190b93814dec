import { indexColumns, relName } from '../ast.js';
import type { Rule } from '../types.js';

// strong_migrations add_index_columns: wide non-unique indexes are rarely used beyond their first columns.
export const rule: Rule = {
  id: 'index-too-many-columns',
  category: 'style',
  severity: 'info',
  message: 'Non-unique index on more than three columns',
  why: 'Wide indexes are large, slow down every write, and are rarely used past their leading columns.',
  fix: 'Index the few most selective columns; consider INCLUDE for covering columns.',
  examples: {
    bad: ['CREATE INDEX CONCURRENTLY i ON t(a, b, c, d);'],
    good: ['CREATE INDEX CONCURRENTLY i ON t(a, b) INCLUDE (c, d);'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE INDEX CONCURRENTLY i ON t(a, b, c, d);',
      expect: [[1, 'SHARE UPDATE EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'CREATE INDEX CONCURRENTLY i ON t(a, b) INCLUDE (c, d);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE INDEX CONCURRENTLY i ON t(a, b, c, d);',
      expect: [[3, 'SHARE UPDATE EXCLUSIVE']],
    },
    { name: 'three columns', sql: 'CREATE INDEX CONCURRENTLY i ON t (a, b, c);', expect: [] },
    {
      name: 'a UNIQUE index needs all its columns',
      sql: 'CREATE UNIQUE INDEX CONCURRENTLY i ON t (a, b, c, d, e);',
      expect: [],
    },
  ],
  kinds: ['IndexStmt'],
  check(s) {
    if (s.kind !== 'IndexStmt' || s.body.unique === true) return [];
    const cols = indexColumns(s.body);
    if (cols.length <= 3) return [];
    const t = relName(s.body.relation);
    return [
      {
        lock: s.body.concurrent === true ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE',
        relation: t,
        message: `index on ${t} has ${cols.length} columns (${cols.join(', ')})`,
      },
    ];
  },
};
