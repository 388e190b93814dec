import { names, str } from '../ast.js';
import type { Rule } from '../types.js';

// Appending changes what < and ORDER BY mean for the new value (squawk require-enum-value-ordering).
export const rule: Rule = {
  id: 'require-enum-value-ordering',
  category: 'style',
  severity: 'info',
  message: 'ALTER TYPE ... ADD VALUE without BEFORE/AFTER appends the value at the end of the sort order',
  why: 'Enum values compare by position: an appended value sorts after every other one, which may not be what ORDER BY and < should mean.',
  fix: "ADD VALUE 'x' BEFORE 'y' / AFTER 'z', stating where it belongs.",
  examples: {
    bad: ["ALTER TYPE status ADD VALUE 'archived';"],
    good: ["ALTER TYPE status ADD VALUE 'archived' AFTER 'done';"],
  },
  cases: [
    { name: 'flagged example', sql: "ALTER TYPE status ADD VALUE 'archived';", expect: [[1, 'EXCLUSIVE']] },
    { name: 'fine example', sql: "ALTER TYPE status ADD VALUE 'archived' AFTER 'done';", expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: "SELECT 1;\n\nALTER TYPE status ADD VALUE 'archived';",
      expect: [[3, 'EXCLUSIVE']],
    },
    { name: 'BEFORE', sql: "ALTER TYPE status ADD VALUE 'new' BEFORE 'done';", expect: [] },
    {
      name: 'IF NOT EXISTS without position',
      sql: "ALTER TYPE status ADD VALUE IF NOT EXISTS 'archived';",
      expect: [[1, 'EXCLUSIVE']],
    },
  ],
  kinds: ['AlterEnumStmt'],
  check(s) {
    if (s.kind !== 'AlterEnumStmt' || s.body.oldVal !== undefined || s.body.newValNeighbor !== undefined)
      return [];
    const t = names(s.body.typeName);
    return [
      {
        lock: 'EXCLUSIVE',
        relation: `type ${t}`,
        message: `'${str(s.body.newVal)}' is appended to ${t}: state its position with BEFORE/AFTER`,
      },
    ];
  },
};
