import { str, tableKey } from '../ast.js';
import { addedConstraints, cmdsOf } from '../support/helpers.js';
import type { Rule, RuleContext } from '../types.js';

// Atlas CD101: integrity and ON DELETE behaviour the app may rely on disappear. Unless the same file adds a
// foreign key of that name to that table again: Prisma drops and re-adds the constraint for every change of
// onDelete/onUpdate, which replaces the key rather than removing it.
const FK_NAME = /(^fk_|_fk$|_fkey$|foreign)/i;

/** The file adds a FOREIGN KEY named `name` to `table` at or after this statement. */
function readdedLater(ctx: RuleContext, table: string, name: string): boolean {
  const key = tableKey(table);
  for (let i = ctx.index; i < ctx.statements.length; i++)
    for (const { table: t, con } of addedConstraints(ctx.statements[i]!))
      if (
        con.contype === 'CONSTR_FOREIGN' &&
        tableKey(t) === key &&
        (str(con.conname) ?? '').toLowerCase() === name
      )
        return true;
  return false;
}

export const rule: Rule = {
  id: 'dropping-foreign-key',
  category: 'breaking',
  severity: 'warning',
  message:
    'Dropping a FOREIGN KEY removes referential integrity (and any ON DELETE CASCADE the app relies on)',
  why: 'Orphan rows become possible, and deletes that used to cascade no longer do. Not reported when the same file adds a foreign key of the same name to the same table again (a replaced key, e.g. Prisma changing onDelete).',
  fix: 'Confirm the constraint is no longer wanted; keep a check that no orphans appear (SELECT ... WHERE NOT EXISTS parent).',
  examples: {
    bad: [
      'ALTER TABLE orders DROP CONSTRAINT fk_user;',
      'ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;',
    ],
    good: ['ALTER TABLE orders DROP CONSTRAINT orders_total_check;'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'ALTER TABLE orders DROP CONSTRAINT fk_user;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'flagged example 2',
      sql: 'ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE orders DROP CONSTRAINT orders_total_check;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE orders DROP CONSTRAINT fk_user;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE orders (id bigint);\nALTER TABLE orders DROP CONSTRAINT fk_user;',
      migration: true,
      expect: [],
    },
    {
      name: 're-added by the same file (Prisma changing onDelete): replaced, not removed',
      sql: '-- DropForeignKey\nALTER TABLE "a" DROP CONSTRAINT "a_b_fkey";\n\n-- AddForeignKey\nALTER TABLE "a" ADD CONSTRAINT "a_b_fkey" FOREIGN KEY ("bId") REFERENCES "b"("id") ON DELETE CASCADE ON UPDATE CASCADE;',
      expect: [],
    },
    {
      name: 'dropped and re-added in one ALTER TABLE',
      sql: 'ALTER TABLE orders DROP CONSTRAINT fk_user, ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;',
      expect: [],
    },
    {
      name: 'only the re-added one of two dropped keys is exempt',
      sql: 'ALTER TABLE "a" DROP CONSTRAINT "a_b_fkey";\nALTER TABLE "a" DROP CONSTRAINT "a_c_fkey";\nALTER TABLE "a" ADD CONSTRAINT "a_b_fkey" FOREIGN KEY ("bId") REFERENCES "b"("id");',
      expect: [[2, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'the same name re-added on another table does not count',
      sql: 'ALTER TABLE a DROP CONSTRAINT fk_x;\nALTER TABLE c ADD CONSTRAINT fk_x FOREIGN KEY (x) REFERENCES b(id);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a CHECK re-added under the FK name is not a foreign key',
      sql: 'ALTER TABLE a DROP CONSTRAINT a_b_fkey;\nALTER TABLE a ADD CONSTRAINT a_b_fkey CHECK (b > 0);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'added before the drop (the drop removes it)',
      sql: 'ALTER TABLE a ADD CONSTRAINT a_b_fkey FOREIGN KEY (b) REFERENCES b(id) NOT VALID;\nALTER TABLE a DROP CONSTRAINT a_b_fkey;',
      expect: [[2, 'ACCESS EXCLUSIVE']],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_DropConstraint'],
  check(s, ctx) {
    const hits = [];
    for (const c of cmdsOf(s)) {
      if (c.subtype !== 'AT_DropConstraint') continue;
      const name = str(c.cmd.name) ?? '?';
      const known = ctx.live?.table(tableKey(c.table))?.constraints.get(name.toLowerCase());
      if (known !== undefined ? known !== 'f' : !FK_NAME.test(name)) continue;
      if (readdedLater(ctx, c.table, name.toLowerCase())) continue;
      hits.push({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `DROP CONSTRAINT ${name} removes a foreign key of ${c.table}`,
      });
    }
    return hits;
  },
};
