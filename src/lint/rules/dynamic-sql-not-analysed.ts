import type { Rule } from '../types.js';

// EXECUTE of a computed string cannot be checked before it runs (strong_migrations' "execute" check).
export const rule: Rule = {
  id: 'dynamic-sql-not-analysed',
  category: 'robustness',
  severity: 'warning',
  message: 'EXECUTE of a computed string in a DO block cannot be analysed',
  why: 'pgward checks DDL in DO blocks and EXECUTE of string literals, but a string built at run time (format(), ||) may do anything.',
  fix: 'Write the statement directly, or EXECUTE a string literal; review the generated SQL by hand and rehearse the migration on a copy.',
  examples: {
    bad: ["DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'old_t'); END $$;"],
    good: ["DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text'; END $$;"],
  },
  cases: [
    {
      name: 'flagged example',
      sql: "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'old_t'); END $$;",
      expect: [[1, 'none']],
    },
    {
      name: 'fine example',
      sql: "DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text'; END $$;",
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: "SELECT 1;\n\nDO $$ BEGIN EXECUTE format('DROP TABLE %I', 'old_t'); END $$;",
      expect: [[3, 'none']],
    },
    {
      name: 'EXECUTE of a variable',
      sql: "DO $$ DECLARE q text := 'DROP TABLE x'; BEGIN EXECUTE q; END $$;",
      expect: [[1, 'none']],
    },
    { name: 'a DO block with no EXECUTE', sql: 'DO $$ BEGIN PERFORM 1; END $$;', expect: [] },
  ],
  kinds: ['DoStmt'],
  check(s) {
    return (s.dynamic ?? []).map((expr) => ({
      lock: 'none' as const,
      relation: '',
      message: `EXECUTE ${expr.length > 60 ? `${expr.slice(0, 57)}...` : expr} cannot be analysed`,
    }));
  },
};
