import type { Rule } from '../types.js';

// Reported by the analyser when PostgreSQL's parser rejects the file (nothing else can be checked then).
export const rule: Rule = {
  id: 'syntax-error',
  category: 'error',
  severity: 'error',
  message: 'PostgreSQL cannot parse this SQL',
  why: 'The migration would fail on its first invalid statement; nothing after the error can be analysed.',
  fix: 'Fix the syntax (the position points at the token PostgreSQL rejected).',
  examples: { bad: ['ALTER TABLE users ADD COLUMN;'], good: ['ALTER TABLE users ADD COLUMN nickname text;'] },
  cases: [
    { name: 'flagged example', sql: 'ALTER TABLE users ADD COLUMN;', expect: [[1, 'none']] },
    { name: 'fine example', sql: 'ALTER TABLE users ADD COLUMN nickname text;', expect: [] },
    {
      name: 'the error is reported on its own line',
      sql: 'SELECT 1;\nSELECT 2;\nALTER TABLE users ADD COLUMN;',
      expect: [[3, 'none']],
    },
    {
      name: 'in a migration, at the file line',
      sql: '-- migrate:up\nCREATE TABLE t (id bigint);\nCREATE TABLE (;',
      migration: true,
      expect: [[3, 'none']],
    },
  ],
  kinds: [],
  check: () => [],
};
