import { as, list, str } from '../ast.js';
import type { Rule } from '../types.js';

// ALTER DOMAIN ADD CONSTRAINT re-checks every column of the domain in every table (squawk).
export const rule: Rule = {
  id: 'ban-alter-domain-with-add-constraint',
  category: 'blocking',
  severity: 'error',
  message: 'ALTER DOMAIN ... ADD CONSTRAINT checks every column using the domain, in every table',
  why: 'Each table with a column of the domain is locked in SHARE mode (writes wait) while all its rows are checked.',
  fix: 'Add the constraint NOT VALID and VALIDATE it later, or put CHECK constraints on the columns (NOT VALID + VALIDATE).',
  examples: {
    bad: ['ALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0);'],
    good: ['ALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0);',
      expect: [[1, 'SHARE']],
    },
    {
      name: 'fine example',
      sql: 'ALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0);',
      expect: [[3, 'SHARE']],
    },
    {
      name: 'on the second line, after other statements',
      sql: 'SELECT 1;\nALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0);',
      expect: [[2, 'SHARE']],
    },
  ],
  kinds: ['AlterDomainStmt'],
  check(s) {
    if (s.kind !== 'AlterDomainStmt' || s.body.subtype !== 'C') return [];
    if (as(s.body.def, 'Constraint')?.skip_validation === true) return [];
    const name = list(s.body.typeName)
      .map((n) => str(as(n, 'String')?.sval))
      .join('.');
    return [
      {
        lock: 'SHARE',
        relation: `tables using domain ${name}`,
        message: `ALTER DOMAIN ${name} ADD CONSTRAINT locks and scans every table with a ${name} column`,
      },
    ];
  },
};
