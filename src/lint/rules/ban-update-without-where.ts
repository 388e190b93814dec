import { as, list, relName, str, tableKey } from '../ast.js';
import type { Rule } from '../types.js';

// An UPDATE without WHERE overwrites a column in every row: the old values are lost. Unless every column it
// sets was added earlier in the same file (it fills a new column: there is nothing old to lose), or the file
// emptied the table earlier (no rows).
export const rule: Rule = {
  id: 'ban-update-without-where',
  category: 'destructive',
  severity: 'error',
  message: 'UPDATE without WHERE overwrites every row',
  why: 'The previous values of every row are lost, and a single UPDATE of a big table locks every row until commit and bloats it. Not reported when every column it sets was added earlier in the same file (a backfill of a new column loses nothing) or the file emptied the table before.',
  fix: 'Add a WHERE clause (e.g. WHERE col IS NULL for a backfill) and update in batches outside the DDL transaction.',
  examples: {
    bad: ['UPDATE users SET active = true;'],
    good: ['UPDATE users SET active = true WHERE id BETWEEN 1 AND 10000 AND active IS NULL;'],
  },
  cases: [
    { name: 'flagged example', sql: 'UPDATE users SET active = true;', expect: [[1, 'ROW EXCLUSIVE']] },
    {
      name: 'fine example',
      sql: 'UPDATE users SET active = true WHERE id BETWEEN 1 AND 10000 AND active IS NULL;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nUPDATE users SET active = true;',
      expect: [[3, 'ROW EXCLUSIVE']],
    },
    {
      name: 'inside a DO block',
      sql: 'DO $$ BEGIN UPDATE users SET active = true; END $$;',
      expect: [[1, 'ROW EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (active boolean);\nUPDATE t SET active = true;',
      migration: true,
      expect: [],
    },
    {
      name: 'fills a column added earlier in the same file: nothing to lose',
      sql: 'ALTER TABLE "t" ADD COLUMN "c" INTEGER;\nUPDATE "t" SET "c" = 1;',
      expect: [],
    },
    {
      name: 'fills several columns added earlier (one ALTER, a multi-column SET)',
      sql: 'ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int;\nUPDATE t SET (a, b) = (1, 2);',
      expect: [],
    },
    {
      name: 'also sets an existing column: still overwrites it',
      sql: 'ALTER TABLE t ADD COLUMN c int;\nUPDATE t SET c = 1, d = 2;',
      expect: [[2, 'ROW EXCLUSIVE']],
    },
    {
      name: 'a column of the same name added to another table does not count',
      sql: 'ALTER TABLE other ADD COLUMN c int;\nUPDATE t SET c = 1;',
      expect: [[2, 'ROW EXCLUSIVE']],
    },
    {
      name: 'an added column that was renamed still counts',
      sql: 'ALTER TABLE t ADD COLUMN c int;\nALTER TABLE t RENAME COLUMN c TO d;\nUPDATE t SET d = 1;',
      expect: [],
    },
    {
      name: 'the column is added after the UPDATE: the UPDATE overwrites an existing column',
      sql: 'UPDATE t SET c = 1;\nALTER TABLE t ADD COLUMN c2 int;',
      expect: [[1, 'ROW EXCLUSIVE']],
    },
    {
      name: 'ADD COLUMN IF NOT EXISTS may find the column there already: its values would be overwritten',
      sql: 'ALTER TABLE t ADD COLUMN IF NOT EXISTS c int;\nUPDATE t SET c = 1;',
      expect: [[2, 'ROW EXCLUSIVE']],
    },
    {
      name: 'a column added inside a DO block may not have been added',
      sql: "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attname = 'c') THEN ALTER TABLE t ADD COLUMN c int; END IF; END $$;\nUPDATE t SET c = 1;",
      expect: [[2, 'ROW EXCLUSIVE']],
    },
    {
      name: 'on a table emptied earlier in the same file',
      sql: 'DELETE FROM t;\nUPDATE t SET existing = 1;',
      expect: [],
    },
  ],
  kinds: ['UpdateStmt'],
  check(s, ctx) {
    if (s.kind !== 'UpdateStmt' || s.body.whereClause !== undefined) return [];
    const name = relName(s.body.relation);
    const key = tableKey(name);
    if (ctx.emptiedInFile.has(key)) return [];
    const set = list(s.body.targetList).map((t) => (str(as(t, 'ResTarget')?.name) ?? '').toLowerCase());
    if (set.length > 0 && set.every((c) => ctx.columnsAddedInFile.has(`${key}.${c}`))) return [];
    return [
      {
        lock: 'ROW EXCLUSIVE',
        relation: name,
        table: name,
        message: `UPDATE ${name} without WHERE overwrites every row`,
      },
    ];
  },
};
