import { as, list, relName } from '../ast.js';
import type { Rule } from '../types.js';

// TRUNCATE empties a table; with CASCADE also every table referencing it (squawk ban-truncate-cascade).
export const rule: Rule = {
  id: 'ban-truncate',
  category: 'destructive',
  severity: 'error',
  message: 'TRUNCATE deletes every row',
  why: 'All rows are gone; CASCADE also empties every table that references this one through a foreign key.',
  fix: 'Delete the rows you mean to delete with a WHERE clause (in batches), or list every table explicitly without CASCADE after a backup.',
  examples: {
    bad: ['TRUNCATE accounts CASCADE;', 'TRUNCATE TABLE sessions;'],
    good: ["DELETE FROM sessions WHERE expires_at < now() - interval '30 days';"],
  },
  cases: [
    { name: 'flagged example 1', sql: 'TRUNCATE accounts CASCADE;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'flagged example 2', sql: 'TRUNCATE TABLE sessions;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    {
      name: 'fine example',
      sql: "DELETE FROM sessions WHERE expires_at < now() - interval '30 days';",
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nTRUNCATE accounts CASCADE;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE scratch (id bigint);\nTRUNCATE scratch;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['TruncateStmt'],
  check(s) {
    if (s.kind !== 'TruncateStmt') return [];
    const cascade = s.body.behavior === 'DROP_CASCADE';
    return list(s.body.relations).map((r) => {
      const name = relName(as(r, 'RangeVar'));
      return {
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: name,
        table: name,
        message: cascade
          ? `TRUNCATE ${name} CASCADE deletes every row of ${name} and of every table referencing it`
          : `TRUNCATE ${name} deletes every row`,
      };
    });
  },
};
