import { as, list, str } from '../ast.js';
import type { Rule } from '../types.js';

// Atlas DS101: a dropped schema takes every table in it along.
export const rule: Rule = {
  id: 'ban-drop-schema',
  category: 'destructive',
  severity: 'error',
  message: 'DROP SCHEMA deletes the schema and, with CASCADE, every table in it',
  why: 'Mass data loss: every object in the schema is dropped under ACCESS EXCLUSIVE.',
  fix: 'Drop the tables one by one after checking each is unused and empty, and keep a backup.',
  examples: { bad: ['DROP SCHEMA reporting CASCADE;'], good: ['CREATE SCHEMA IF NOT EXISTS reporting;'] },
  cases: [
    { name: 'flagged example', sql: 'DROP SCHEMA reporting CASCADE;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'fine example', sql: 'CREATE SCHEMA IF NOT EXISTS reporting;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nDROP SCHEMA reporting CASCADE;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'DROP SCHEMA without CASCADE',
      sql: 'DROP SCHEMA IF EXISTS reporting;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'CREATE SCHEMA', sql: 'CREATE SCHEMA reporting;', expect: [] },
  ],
  kinds: ['DropStmt'],
  check(s) {
    if (s.kind !== 'DropStmt' || s.body.removeType !== 'OBJECT_SCHEMA') return [];
    return list(s.body.objects).map((o) => {
      const name = str(as(o, 'String')?.sval) ?? '?';
      return {
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: `schema ${name}`,
        message: `DROP SCHEMA ${name} deletes every object in it`,
      };
    });
  },
};
