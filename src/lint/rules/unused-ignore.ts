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
  kinds: [],
  check: () => [],
};
