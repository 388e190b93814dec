import type { Rule } from '../types.js';

// Reported by the analyser: a typo in an ignore comment must not silently suppress nothing (squawk #974).
export const rule: Rule = {
  id: 'unknown-ignore-rule',
  category: 'robustness',
  severity: 'warning',
  message: 'pgward:ignore names a rule that does not exist',
  why: 'A misspelt rule id suppresses nothing, so the finding it was meant for still fires (or a future rule is hidden by accident).',
  fix: 'Use a rule id from `docs/lint.md` (e.g. ban-drop-column).',
  examples: {
    bad: ['-- pgward:ignore ban-drop-colum reason="typo"\nALTER TABLE users DROP COLUMN legacy;'],
    good: [
      '-- pgward:ignore ban-drop-column reason="unused since v3"\nALTER TABLE users DROP COLUMN legacy;',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: '-- pgward:ignore ban-drop-colum reason="typo"\nALTER TABLE users DROP COLUMN legacy;',
      expect: [[1, 'none']],
    },
    {
      name: 'fine example',
      sql: '-- pgward:ignore ban-drop-column reason="unused since v3"\nALTER TABLE users DROP COLUMN legacy;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\n-- pgward:ignore ban-drop-colum reason="typo"\nALTER TABLE users DROP COLUMN legacy;',
      expect: [[3, 'none']],
    },
    {
      name: 'one known and one unknown rule',
      sql: '-- pgward:ignore ban-drop-column, no-such-rule reason="x"\nALTER TABLE users DROP COLUMN legacy;',
      expect: [[1, 'none']],
    },
    {
      name: 'in a migration, at the file line',
      sql: '-- migrate:up\n-- pgward:ignore nope reason="x"\nSELECT 1;',
      migration: true,
      expect: [[2, 'none']],
    },
  ],
  kinds: [],
  check: () => [],
};
