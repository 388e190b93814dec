import { relName } from '../ast.js';
import type { Rule } from '../types.js';

// An UPDATE without WHERE overwrites a column in every row: the old values are lost.
export const rule: Rule = {
  id: 'ban-update-without-where',
  category: 'destructive',
  severity: 'error',
  message: 'UPDATE without WHERE overwrites every row',
  why: 'The previous values of every row are lost, and a single UPDATE of a big table locks every row until commit and bloats it.',
  fix: 'Add a WHERE clause (e.g. WHERE col IS NULL for a backfill) and update in batches outside the DDL transaction.',
  examples: {
    bad: ['UPDATE users SET active = true;'],
    good: ['UPDATE users SET active = true WHERE id BETWEEN 1 AND 10000 AND active IS NULL;'],
  },
  cases: [
    { name: 'flagged example', sql: 'UPDATE users SET active = true;', expect: [[1, 'ROW EXCLUSIVE']] },
    {
      name: 'fine example',
      sql: 'UPDATE users SET active = true WHERE id BETWEEN 1 AND 10000 AND active IS NULL;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nUPDATE users SET active = true;',
      expect: [[3, 'ROW EXCLUSIVE']],
    },
    {
      name: 'inside a DO block',
      sql: 'DO $$ BEGIN UPDATE users SET active = true; END $$;',
      expect: [[1, 'ROW EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (active boolean);\nUPDATE t SET active = true;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['UpdateStmt'],
  check(s) {
    if (s.kind !== 'UpdateStmt' || s.body.whereClause !== undefined) return [];
    const name = relName(s.body.relation);
    return [
      {
        lock: 'ROW EXCLUSIVE',
        relation: name,
        table: name,
        message: `UPDATE ${name} without WHERE overwrites every row`,
      },
    ];
  },
};
