import { as, list, str } from '../ast.js';
import type { Rule } from '../types.js';

// DROP TABLE is the textbook destructive change (Atlas DS102, squawk ban-drop-table).
export const rule: Rule = {
  id: 'ban-drop-table',
  category: 'destructive',
  severity: 'error',
  message: 'DROP TABLE deletes the table and all its rows',
  why: 'The data is gone unless restored from a backup, and every app version still reading the table fails.',
  fix: 'Stop all reads and writes first, take a backup, check the table is empty (SELECT NOT EXISTS (SELECT 1 FROM t)), then drop it in a migration approved for this purpose.',
  examples: {
    bad: ['DROP TABLE audit_old;', 'DROP TABLE IF EXISTS a, b CASCADE;'],
    good: ['DROP VIEW audit_old_v;'],
  },
  cases: [
    { name: 'flagged example 1', sql: 'DROP TABLE audit_old;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    {
      name: 'flagged example 2',
      sql: 'DROP TABLE IF EXISTS a, b CASCADE;',
      expect: [
        [1, 'ACCESS EXCLUSIVE'],
        [1, 'ACCESS EXCLUSIVE'],
      ],
    },
    { name: 'fine example', sql: 'DROP VIEW audit_old_v;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nDROP TABLE audit_old;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t6 (id bigint);\nDROP TABLE t6;',
      migration: true,
      expect: [],
    },
    {
      name: 'a dynamic DROP TABLE inside DO with a literal string',
      sql: "DO $$ BEGIN IF true THEN EXECUTE 'DROP TABLE x'; END IF; END $$;",
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
  ],
  kinds: ['DropStmt'],
  check(s) {
    if (
      s.kind !== 'DropStmt' ||
      !['OBJECT_TABLE', 'OBJECT_FOREIGN_TABLE'].includes(str(s.body.removeType) ?? '')
    )
      return [];
    return list(s.body.objects).map((o) => {
      const name = list(as(o, 'List')?.items)
        .map((n) => str(as(n, 'String')?.sval))
        .join('.');
      return {
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: name,
        table: name,
        message: `DROP TABLE ${name} deletes the table and all its rows${s.body.behavior === 'DROP_CASCADE' ? ' (CASCADE also drops views and foreign keys that depend on it)' : ''}`,
      };
    });
  },
};
