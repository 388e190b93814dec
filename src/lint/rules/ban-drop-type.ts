import { as, list, str } from '../ast.js';
import type { Rule } from '../types.js';

// Dropping a type with CASCADE drops every column of that type: data loss hidden behind a type name. Without
// CASCADE the drop fails while anything uses the type, so it cannot lose data (Prisma drops unused enums so).
export const rule: Rule = {
  id: 'ban-drop-type',
  category: 'destructive',
  severity: 'error',
  message: 'DROP TYPE / DROP DOMAIN ... CASCADE drops every column using the type, with its data',
  why: 'With CASCADE the columns of that type, and their data, are dropped. Without CASCADE the drop fails while any column, function or other type uses it, so it cannot lose data and is not reported.',
  fix: 'Migrate columns off the type first (new column, backfill, switch reads), then drop the unused type without CASCADE.',
  examples: {
    bad: ['DROP TYPE status CASCADE;', 'DROP DOMAIN positive_int CASCADE;'],
    good: ["CREATE TYPE status AS ENUM ('a', 'b');", 'DROP TYPE "Role";'],
  },
  cases: [
    { name: 'flagged example 1', sql: 'DROP TYPE status CASCADE;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    {
      name: 'flagged example 2',
      sql: 'DROP DOMAIN positive_int CASCADE;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example 1', sql: "CREATE TYPE status AS ENUM ('a', 'b');", expect: [] },
    {
      name: 'fine example 2',
      sql: 'DROP TYPE "Role";',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nDROP TYPE status CASCADE;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'DROP DOMAIN without CASCADE fails while used: no data lost',
      sql: 'DROP DOMAIN positive_int;',
      expect: [],
    },
    {
      name: 'DROP TYPE IF EXISTS without CASCADE in a migration',
      sql: '-- migrate:up\nDROP TYPE IF EXISTS "OldEnum";',
      migration: true,
      expect: [],
    },
    {
      name: 'one drop of several types with CASCADE reports each',
      sql: 'DROP TYPE a, b CASCADE;',
      expect: [
        [1, 'ACCESS EXCLUSIVE'],
        [1, 'ACCESS EXCLUSIVE'],
      ],
    },
    { name: 'ALTER TYPE ADD VALUE', sql: "ALTER TYPE status ADD VALUE 'archived' AFTER 'done';", expect: [] },
  ],
  kinds: ['DropStmt'],
  check(s) {
    if (s.kind !== 'DropStmt' || !['OBJECT_TYPE', 'OBJECT_DOMAIN'].includes(str(s.body.removeType) ?? ''))
      return [];
    if (s.body.behavior !== 'DROP_CASCADE') return [];
    return list(s.body.objects).map((o) => {
      const name = list(as(o, 'TypeName')?.names)
        .map((n) => str(as(n, 'String')?.sval))
        .join('.');
      return {
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: `type ${name}`,
        message: `DROP ${s.body.removeType === 'OBJECT_DOMAIN' ? 'DOMAIN' : 'TYPE'} ${name} CASCADE drops every column of this type with its data`,
      };
    });
  },
};
