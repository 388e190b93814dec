import { as, keyNames, list, relName, str, tableKey } from '../ast.js';
import { addedConstraints } from '../support/helpers.js';
import type { Hit, Rule, RuleContext } from '../types.js';

// Deleting or updating a parent row scans the child table when the FK columns are not indexed (eugene E15).
function covered(table: string, cols: string[], ctx: RuleContext): boolean {
  const leads = [
    ...(ctx.facts.indexLeads.get(tableKey(table)) ?? []),
    ...(ctx.live?.table(tableKey(table))?.indexLeads ?? []),
  ];
  return leads.some((lead) => cols.every((c, i) => lead[i] === c));
}

export const rule: Rule = {
  id: 'foreign-key-without-index',
  category: 'robustness',
  severity: 'warning',
  message: 'Foreign key columns without an index',
  why: 'Every DELETE or key UPDATE on the referenced table scans this table to check for references, and joins on the key are slow.',
  fix: 'CREATE INDEX CONCURRENTLY on the foreign key columns (in a no-transaction migration; a plain CREATE INDEX for a new table).',
  examples: {
    bad: ['CREATE TABLE line_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders(id));'],
    good: [
      'CREATE TABLE line_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders(id));\nCREATE INDEX line_items_order_id_idx ON line_items(order_id);',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE TABLE line_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders(id));',
      expect: [[1, 'SHARE ROW EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: 'CREATE TABLE line_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders(id));\nCREATE INDEX line_items_order_id_idx ON line_items(order_id);',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE TABLE line_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders(id));',
      expect: [[3, 'SHARE ROW EXCLUSIVE']],
    },
    {
      name: 'an index created later in the same file covers it',
      sql: 'ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;\nCREATE INDEX CONCURRENTLY orders_user_id_idx ON orders(user_id);',
      expect: [],
    },
  ],
  kinds: ['CreateStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddConstraint'],
  check(s, ctx) {
    const fks: { table: string; cols: string[]; ref: string }[] = [];
    if (s.kind === 'CreateStmt') {
      const table = relName(s.body.relation);
      for (const e of list(s.body.tableElts)) {
        const col = as(e, 'ColumnDef');
        for (const c of list(col?.constraints)) {
          const k = as(c, 'Constraint');
          if (k?.contype === 'CONSTR_FOREIGN')
            fks.push({ table, cols: [(str(col?.colname) ?? '').toLowerCase()], ref: relName(k.pktable) });
        }
        const k = as(e, 'Constraint');
        if (k?.contype === 'CONSTR_FOREIGN')
          fks.push({ table, cols: keyNames(k.fk_attrs), ref: relName(k.pktable) });
      }
    }
    for (const { table, con } of addedConstraints(s))
      if (con.contype === 'CONSTR_FOREIGN')
        fks.push({ table, cols: keyNames(con.fk_attrs), ref: relName(con.pktable) });
    return fks
      .filter((fk) => !covered(fk.table, fk.cols, ctx))
      .map(
        (fk): Hit => ({
          lock: 'SHARE ROW EXCLUSIVE',
          relation: fk.ref,
          message: `foreign key ${fk.table}(${fk.cols.join(', ')}) → ${fk.ref} has no index on ${fk.table}(${fk.cols.join(', ')})`,
        }),
      );
  },
};
