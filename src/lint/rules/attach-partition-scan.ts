import { as, relName, tableKey } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule } from '../types.js';

// ATTACH PARTITION scans the new partition under ACCESS EXCLUSIVE to prove its rows fit the bound,
// unless a validated CHECK constraint already implies it.
export const rule: Rule = {
  id: 'attach-partition-scan',
  category: 'blocking',
  severity: 'warning',
  message: 'ATTACH PARTITION scans the partition under ACCESS EXCLUSIVE unless a matching CHECK exists',
  why: 'The parent takes SHARE UPDATE EXCLUSIVE (PostgreSQL 12+), but the attached table is locked and fully scanned to check the partition bound.',
  fix: 'Add a CHECK constraint matching the bound (NOT VALID, then VALIDATE) on the table before attaching; drop it afterwards.',
  examples: {
    bad: ["ALTER TABLE parent ATTACH PARTITION p2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"],
    good: ['ALTER TABLE parent DETACH PARTITION p2020 CONCURRENTLY;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: "ALTER TABLE parent ATTACH PARTITION p2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE parent DETACH PARTITION p2020 CONCURRENTLY;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: "SELECT 1;\n\nALTER TABLE parent ATTACH PARTITION p2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a DEFAULT partition is scanned too',
      sql: 'ALTER TABLE parent ATTACH PARTITION p_other DEFAULT;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'detaching is another rule',
      sql: 'ALTER TABLE parent DETACH PARTITION p2026 CONCURRENTLY;',
      expect: [],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: "-- migrate:up\nCREATE TABLE p2026 (id bigint);\nALTER TABLE parent ATTACH PARTITION p2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AttachPartition'],
  check(s, ctx) {
    const hits = [];
    for (const c of cmdsOf(s)) {
      if (c.subtype !== 'AT_AttachPartition') continue;
      const part = relName(as(c.cmd.def, 'PartitionCmd')?.name);
      const info = ctx.live?.table(tableKey(part));
      if (info && [...info.constraints.values()].includes('c') && info.checkedColumns.size > 0) continue;
      hits.push({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: part,
        table: part,
        message: `ATTACH PARTITION ${part} to ${c.table} scans ${part} under ACCESS EXCLUSIVE`,
      });
    }
    return hits;
  },
};
