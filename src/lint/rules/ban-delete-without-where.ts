import { relName, tableKey } from '../ast.js';
import type { Rule } from '../types.js';

// A DELETE without WHERE in a migration is almost always a mistake, and it is data loss. Not on a table the
// file created (the analyser exempts it) or already emptied: there are no rows to lose.
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
    {
      name: 'a table created earlier in a plain script (Prisma-style)',
      sql: 'CREATE TABLE "x" ("id" INTEGER);\nDELETE FROM "x";',
      expect: [],
    },
    {
      name: 'a table already truncated earlier in the same file',
      sql: 'TRUNCATE sessions;\nDELETE FROM sessions;',
      expect: [],
    },
    {
      name: 'rows inserted after the table was emptied are lost again',
      sql: 'DELETE FROM sessions;\nINSERT INTO sessions VALUES (1);\nDELETE FROM sessions;',
      expect: [
        [1, 'ROW EXCLUSIVE'],
        [3, 'ROW EXCLUSIVE'],
      ],
    },
    {
      name: 'a column added earlier does not make its rows new',
      sql: 'ALTER TABLE sessions ADD COLUMN c int;\nDELETE FROM sessions;',
      expect: [[2, 'ROW EXCLUSIVE']],
    },
  ],
  kinds: ['DeleteStmt'],
  check(s, ctx) {
    if (s.kind !== 'DeleteStmt' || s.body.whereClause !== undefined) return [];
    const name = relName(s.body.relation);
    if (ctx.emptiedInFile.has(tableKey(name))) return [];
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
