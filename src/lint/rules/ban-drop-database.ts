import { str } from '../ast.js';
import type { Rule } from '../types.js';

// squawk ban-drop-database: never something a migration should do.
export const rule: Rule = {
  id: 'ban-drop-database',
  category: 'destructive',
  severity: 'error',
  message: 'DROP DATABASE deletes a whole database',
  why: 'Everything in the database is lost; it cannot even run inside a transaction to be rolled back.',
  fix: 'Drop databases by hand, after a backup, never from a migration.',
  examples: { bad: ['DROP DATABASE legacy;'], good: ['CREATE SCHEMA legacy_archive;'] },
  cases: [
    { name: 'flagged example', sql: 'DROP DATABASE legacy;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'fine example', sql: 'CREATE SCHEMA legacy_archive;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nDROP DATABASE legacy;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'DROP DATABASE IF EXISTS',
      sql: 'DROP DATABASE IF EXISTS legacy;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'on the third line',
      sql: 'SELECT 1;\nSELECT 2;\nDROP DATABASE legacy;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
  ],
  kinds: ['DropdbStmt'],
  check(s) {
    if (s.kind !== 'DropdbStmt') return [];
    const name = str(s.body.dbname) ?? '?';
    return [
      {
        lock: 'ACCESS EXCLUSIVE',
        relation: `database ${name}`,
        message: `DROP DATABASE ${name} deletes the whole database`,
      },
    ];
  },
};
