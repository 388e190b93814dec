import { as, list, str } from '../ast.js';
import type { Rule } from '../types.js';

// Dropping a type (CASCADE) drops every column of that type: data loss hidden behind a type name.
export const rule: Rule = {
  id: 'ban-drop-type',
  category: 'destructive',
  severity: 'error',
  message: 'DROP TYPE / DROP DOMAIN removes the type; with CASCADE every column using it is dropped',
  why: 'With CASCADE the columns of that type, and their data, are dropped; without it the drop fails while columns use it.',
  fix: 'Migrate columns off the type first (new column, backfill, switch reads), then drop the unused type.',
  examples: {
    bad: ['DROP TYPE status CASCADE;', 'DROP DOMAIN positive_int;'],
    good: ["CREATE TYPE status AS ENUM ('a', 'b');"],
  },
  cases: [
    { name: 'flagged example 1', sql: 'DROP TYPE status CASCADE;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'flagged example 2', sql: 'DROP DOMAIN positive_int;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'fine example', sql: "CREATE TYPE status AS ENUM ('a', 'b');", expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nDROP TYPE status CASCADE;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'DROP DOMAIN CASCADE',
      sql: 'DROP DOMAIN positive_int CASCADE;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'ALTER TYPE ADD VALUE', sql: "ALTER TYPE status ADD VALUE 'archived' AFTER 'done';", expect: [] },
  ],
  kinds: ['DropStmt'],
  check(s) {
    if (s.kind !== 'DropStmt' || !['OBJECT_TYPE', 'OBJECT_DOMAIN'].includes(str(s.body.removeType) ?? ''))
      return [];
    return list(s.body.objects).map((o) => {
      const name = list(as(o, 'TypeName')?.names)
        .map((n) => str(as(n, 'String')?.sval))
        .join('.');
      const cascade = s.body.behavior === 'DROP_CASCADE';
      return {
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: `type ${name}`,
        message: `DROP ${s.body.removeType === 'OBJECT_DOMAIN' ? 'DOMAIN' : 'TYPE'} ${name}${cascade ? ' CASCADE drops every column of this type with its data' : ' removes the type (fails while columns use it)'}`,
      };
    });
  },
};
