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
