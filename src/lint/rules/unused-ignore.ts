import type { Rule } from '../types.js';

// Reported by the analyser: an ignore that matches nothing is stale, or sits above the wrong statement.
export const rule: Rule = {
  id: 'unused-ignore',
  category: 'robustness',
  severity: 'warning',
  message: 'pgward:ignore matches no finding on the next statement',
  why: 'The comment only covers the statement right after it; if nothing there triggers the rule, it is stale or misplaced.',
  fix: 'Move the comment right above the statement it is about, or remove it.',
  examples: {
    bad: ['-- pgward:ignore ban-drop-column reason="x"\nALTER TABLE users ADD COLUMN nickname text;'],
    good: [
      '-- pgward:ignore ban-drop-column reason="unused since v3"\nALTER TABLE users DROP COLUMN legacy;',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: '-- pgward:ignore ban-drop-column reason="x"\nALTER TABLE users ADD COLUMN nickname text;',
      expect: [[1, 'none']],
    },
    {
      name: 'fine example',
      sql: '-- pgward:ignore ban-drop-column reason="unused since v3"\nALTER TABLE users DROP COLUMN legacy;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\n-- pgward:ignore ban-drop-column reason="x"\nALTER TABLE users ADD COLUMN nickname text;',
      expect: [[3, 'none']],
    },
    {
      name: 'the ignore covers only the next statement',
      sql: '-- pgward:ignore ban-drop-column reason="x"\nSELECT 1;\nALTER TABLE users DROP COLUMN legacy;',
      expect: [[1, 'none']],
    },
    {
      name: 'one used and one unused rule',
      sql: '-- pgward:ignore ban-drop-column, ban-drop-table reason="x"\nALTER TABLE users DROP COLUMN legacy;',
      expect: [[1, 'none']],
    },
  ],
  kinds: [],
  check: () => [],
};
