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
  kinds: [],
  check: () => [],
};
