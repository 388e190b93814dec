import { as, list, names } from '../ast.js';
import type { Rule } from '../types.js';

// Changing a domain's constraint later re-checks every column using it (squawk ban-create-domain-with-constraint).
export const rule: Rule = {
  id: 'ban-create-domain-with-constraint',
  category: 'style',
  severity: 'info',
  message: 'CREATE DOMAIN with a CHECK constraint',
  why: 'Changing the constraint later locks and scans every table with a column of the domain; column CHECKs can be replaced NOT VALID one table at a time.',
  fix: 'Put CHECK constraints on the columns instead.',
  examples: {
    bad: ['CREATE DOMAIN positive_int AS bigint CHECK (VALUE > 0);'],
    good: ['CREATE DOMAIN email AS text;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE DOMAIN positive_int AS bigint CHECK (VALUE > 0);',
      expect: [[1, 'none']],
    },
    { name: 'fine example', sql: 'CREATE DOMAIN email AS text;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE DOMAIN positive_int AS bigint CHECK (VALUE > 0);',
      expect: [[3, 'none']],
    },
    { name: 'a domain with NOT NULL only', sql: 'CREATE DOMAIN email AS text NOT NULL;', expect: [] },
    {
      name: 'two domains, the second one constrained',
      sql: 'CREATE DOMAIN a AS text;\nCREATE DOMAIN b AS int CHECK (VALUE > 0);',
      expect: [[2, 'none']],
    },
  ],
  kinds: ['CreateDomainStmt'],
  check(s) {
    if (s.kind !== 'CreateDomainStmt') return [];
    if (!list(s.body.constraints).some((c) => as(c, 'Constraint')?.contype === 'CONSTR_CHECK')) return [];
    return [
      {
        lock: 'none',
        relation: `type ${names(s.body.domainname)}`,
        message: `domain ${names(s.body.domainname)} carries a CHECK: prefer column constraints`,
      },
    ];
  },
};
