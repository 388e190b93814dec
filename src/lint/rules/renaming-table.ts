import { relName, str, tableKey, walk } from '../ast.js';
import type { Rule, Stmt } from '../types.js';

// Renaming a table breaks old app versions, unless a view keeps the old name working (Atlas BC101 exemption).
function viewShim(oldName: string, newName: string, later: readonly Stmt[]): boolean {
  return later.some((s) => {
    if (s.kind !== 'ViewStmt' || tableKey(relName(s.body.view)) !== tableKey(oldName)) return false;
    let reads = false;
    walk(s.body.query, (kind, body) => {
      if (
        (kind === 'RangeVar' || typeof body.relname === 'string') &&
        tableKey(relName(body)) === tableKey(newName)
      )
        reads = true;
    });
    return reads;
  });
}

export const rule: Rule = {
  id: 'renaming-table',
  category: 'breaking',
  severity: 'error',
  message: 'RENAME TO breaks every running app version that uses the old table name',
  why: 'Old app versions fail as soon as the rename commits.',
  fix: 'Rename, then CREATE VIEW old_name AS SELECT * FROM new_name in the same migration (a simple view is updatable), and drop the view once no app uses the old name.',
  examples: {
    bad: ['ALTER TABLE users RENAME TO customers;'],
    good: ['ALTER TABLE users RENAME TO customers;\nCREATE VIEW users AS SELECT * FROM customers;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users RENAME TO customers;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: 'ALTER TABLE users RENAME TO customers;\nCREATE VIEW users AS SELECT * FROM customers;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users RENAME TO customers;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (id bigint);\nALTER TABLE t RENAME TO t2;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['RenameStmt'],
  check(s, ctx) {
    if (
      s.kind !== 'RenameStmt' ||
      !['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW'].includes(str(s.body.renameType) ?? '')
    )
      return [];
    const t = relName(s.body.relation);
    const to = str(s.body.newname) ?? '?';
    if (viewShim(t, to, ctx.statements.slice(ctx.index + 1))) return [];
    return [
      {
        lock: 'ACCESS EXCLUSIVE',
        relation: t,
        table: t,
        message: `RENAME ${t} TO ${to} breaks code using the old name`,
      },
    ];
  },
};
