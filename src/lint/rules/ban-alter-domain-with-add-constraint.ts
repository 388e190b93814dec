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
