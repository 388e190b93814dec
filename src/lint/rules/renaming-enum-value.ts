import { names, str } from '../ast.js';
import type { Rule } from '../types.js';

// Old app versions still write the old label, and the new one is unknown to them.
export const rule: Rule = {
  id: 'renaming-enum-value',
  category: 'breaking',
  severity: 'error',
  message: 'ALTER TYPE ... RENAME VALUE breaks app versions that use the old label',
  why: 'Inserts of the old value fail, and code comparing against it stops matching.',
  fix: 'Add the new value, make the app accept both, backfill rows to the new value, then stop using the old one.',
  examples: {
    bad: ["ALTER TYPE status RENAME VALUE 'done' TO 'completed';"],
    good: ["ALTER TYPE status ADD VALUE 'completed' AFTER 'done';"],
  },
  cases: [
    {
      name: 'flagged example',
      sql: "ALTER TYPE status RENAME VALUE 'done' TO 'completed';",
      expect: [[1, 'EXCLUSIVE']],
    },
    { name: 'fine example', sql: "ALTER TYPE status ADD VALUE 'completed' AFTER 'done';", expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: "SELECT 1;\n\nALTER TYPE status RENAME VALUE 'done' TO 'completed';",
      expect: [[3, 'EXCLUSIVE']],
    },
    {
      name: 'on the second line',
      sql: "SELECT 1;\nALTER TYPE status RENAME VALUE 'done' TO 'completed';",
      expect: [[2, 'EXCLUSIVE']],
    },
    {
      name: 'renaming the type itself is another rule',
      sql: 'ALTER TYPE status RENAME TO state;',
      expect: [],
    },
  ],
  kinds: ['AlterEnumStmt'],
  check(s) {
    if (s.kind !== 'AlterEnumStmt' || s.body.oldVal === undefined) return [];
    const t = names(s.body.typeName);
    return [
      {
        lock: 'EXCLUSIVE',
        relation: `type ${t}`,
        message: `RENAME VALUE '${str(s.body.oldVal)}' of ${t} breaks code using the old label`,
      },
    ];
  },
};
