import { str } from '../ast.js';
import type { Rule } from '../types.js';

// strong_migrations rename_schema: every qualified reference breaks.
export const rule: Rule = {
  id: 'renaming-schema',
  category: 'breaking',
  severity: 'error',
  message: 'ALTER SCHEMA ... RENAME TO breaks every query that names the schema',
  why: 'Running app versions, views in other schemas and search_path settings still use the old name.',
  fix: 'Create the new schema, move objects with views left behind in the old one, switch the app, then drop the old schema.',
  examples: { bad: ['ALTER SCHEMA reporting RENAME TO analytics;'], good: ['CREATE SCHEMA analytics;'] },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER SCHEMA reporting RENAME TO analytics;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'CREATE SCHEMA analytics;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER SCHEMA reporting RENAME TO analytics;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'on the second line',
      sql: 'SELECT 1;\nALTER SCHEMA reporting RENAME TO analytics;',
      expect: [[2, 'ACCESS EXCLUSIVE']],
    },
    { name: 'changing the owner', sql: 'ALTER SCHEMA reporting OWNER TO admin;', expect: [] },
  ],
  kinds: ['RenameStmt'],
  check(s) {
    if (s.kind !== 'RenameStmt' || s.body.renameType !== 'OBJECT_SCHEMA') return [];
    const name = str(s.body.subname) ?? '?';
    return [
      {
        lock: 'ACCESS EXCLUSIVE',
        relation: `schema ${name}`,
        message: `RENAME SCHEMA ${name} TO ${str(s.body.newname)} breaks code using the old name`,
      },
    ];
  },
};
