import { as, relName } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule } from '../types.js';

// DETACH PARTITION takes ACCESS EXCLUSIVE on the parent: every query on the partitioned table waits.
export const rule: Rule = {
  id: 'require-concurrent-partition-detach',
  category: 'blocking',
  severity: 'error',
  message: 'DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent table',
  why: 'Reads and writes of the whole partitioned table wait.',
  fix: 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+, in a no-transaction migration).',
  examples: {
    bad: ['ALTER TABLE measurements DETACH PARTITION m_2020;'],
    good: ['ALTER TABLE measurements DETACH PARTITION m_2020 CONCURRENTLY;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE measurements DETACH PARTITION m_2020;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: 'ALTER TABLE measurements DETACH PARTITION m_2020 CONCURRENTLY;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE measurements DETACH PARTITION m_2020;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'CONCURRENTLY needs PostgreSQL 14',
      sql: 'ALTER TABLE measurements DETACH PARTITION m_2020;',
      pgVersion: '13',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'CONCURRENTLY in a no-transaction migration',
      sql: '-- pgward:no-transaction\nALTER TABLE measurements DETACH PARTITION m_2020 CONCURRENTLY;',
      migration: true,
      expect: [],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE measurements (id bigint);\nALTER TABLE measurements DETACH PARTITION m_2020;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_DetachPartition'],
  check(s, ctx) {
    return cmdsOf(s)
      .filter((c) => c.subtype === 'AT_DetachPartition' && as(c.cmd.def, 'PartitionCmd')?.concurrent !== true)
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `DETACH PARTITION ${relName(as(c.cmd.def, 'PartitionCmd')?.name)} locks all of ${c.table} (ACCESS EXCLUSIVE)`,
        ...(ctx.pgVersion < 14
          ? {
              fix: 'Upgrade to PostgreSQL 14+ for DETACH PARTITION CONCURRENTLY, or run it in a maintenance window.',
            }
          : {}),
      }));
  },
};
