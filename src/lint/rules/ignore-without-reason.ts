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
  kinds: [],
  check: () => [],
};
