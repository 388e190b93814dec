import { relName } from '../ast.js';
import type { Rule } from '../types.js';

// A DELETE without WHERE in a migration is almost always a mistake, and it is data loss.
export const rule: Rule = {
  id: 'ban-delete-without-where',
  category: 'destructive',
  severity: 'error',
  message: 'DELETE without WHERE deletes every row',
  why: 'Every row is deleted (and every row is locked until commit, blocking concurrent updates).',
  fix: 'Add a WHERE clause for the rows you mean, and delete in batches on large tables.',
  examples: { bad: ['DELETE FROM sessions;'], good: ['DELETE FROM sessions WHERE expires_at < now();'] },
  cases: [
    { name: 'flagged example', sql: 'DELETE FROM sessions;', expect: [[1, 'ROW EXCLUSIVE']] },
    { name: 'fine example', sql: 'DELETE FROM sessions WHERE expires_at < now();', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nDELETE FROM sessions;',
      expect: [[3, 'ROW EXCLUSIVE']],
    },
    {
      name: 'inside a DO block',
      sql: 'DO $$ BEGIN DELETE FROM sessions; END $$;',
      expect: [[1, 'ROW EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE scratch (id bigint);\nDELETE FROM scratch;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['DeleteStmt'],
  check(s) {
    if (s.kind !== 'DeleteStmt' || s.body.whereClause !== undefined) return [];
    const name = relName(s.body.relation);
    return [
      {
        lock: 'ROW EXCLUSIVE',
        relation: name,
        table: name,
        message: `DELETE FROM ${name} without WHERE deletes every row`,
      },
    ];
  },
};
