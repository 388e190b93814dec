import type { Rule } from '../types.js';

// Reported by the analyser: a suppression is a decision, and reviewers need to know why it was made.
export const rule: Rule = {
  id: 'ignore-without-reason',
  category: 'robustness',
  severity: 'warning',
  message: 'pgward:ignore without reason="..."',
  why: 'An ignore without a reason cannot be reviewed; the suppression still applies.',
  fix: 'Add reason="why this is safe here".',
  examples: {
    bad: ['-- pgward:ignore ban-drop-column\nALTER TABLE users DROP COLUMN legacy;'],
    good: [
      '-- pgward:ignore ban-drop-column reason="unused since v3"\nALTER TABLE users DROP COLUMN legacy;',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: '-- pgward:ignore ban-drop-column\nALTER TABLE users DROP COLUMN legacy;',
      expect: [[1, 'none']],
    },
    {
      name: 'fine example',
      sql: '-- pgward:ignore ban-drop-column reason="unused since v3"\nALTER TABLE users DROP COLUMN legacy;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\n-- pgward:ignore ban-drop-column\nALTER TABLE users DROP COLUMN legacy;',
      expect: [[3, 'none']],
    },
    {
      name: 'an empty reason',
      sql: '-- pgward:ignore ban-drop-column reason=""\nALTER TABLE users DROP COLUMN legacy;',
      expect: [[1, 'none']],
    },
    {
      name: 'on line 2, after a statement',
      sql: 'SELECT 1;\n-- pgward:ignore ban-drop-table\nDROP TABLE old;',
      expect: [[2, 'none']],
    },
  ],
  kinds: [],
  check: () => [],
};
