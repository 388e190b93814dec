import { str, tableKey } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { LiveSchema, Rule } from '../types.js';

// Table options that copy the whole table under ACCESS EXCLUSIVE; no anchor tool has a static rule for them.
const REWRITES: Record<string, string> = {
  AT_SetTableSpace: 'SET TABLESPACE copies every page of',
  AT_SetLogged: 'SET LOGGED rewrites (and WAL-logs)',
  AT_SetUnLogged: 'SET UNLOGGED rewrites',
  AT_SetAccessMethod: 'SET ACCESS METHOD rewrites',
};

/**
 * The table already is what the command asks for: PostgreSQL changes nothing (no rewrite, seen on 13–18
 * by the lint truth suite). Known only with the live database's facts.
 */
function alreadySo(live: LiveSchema | undefined, subtype: string, table: string, name: string | undefined) {
  const info = live?.table(tableKey(table));
  if (!info) return false;
  if (subtype === 'AT_SetLogged') return info.persistence === 'p';
  if (subtype === 'AT_SetUnLogged') return info.persistence === 'u';
  if (subtype === 'AT_SetAccessMethod') return name !== undefined && info.accessMethod === name;
  return false;
}

export const rule: Rule = {
  id: 'rewriting-table-option',
  category: 'blocking',
  severity: 'error',
  message: 'This ALTER TABLE option rewrites the whole table under ACCESS EXCLUSIVE',
  why: 'SET TABLESPACE, SET LOGGED/UNLOGGED and SET ACCESS METHOD copy the table while reads and writes wait.',
  fix: 'Use pg_repack (or a new table + backfill + swap), or run it in a maintenance window.',
  examples: {
    bad: ['ALTER TABLE big SET TABLESPACE fast_ssd;', 'ALTER TABLE big SET UNLOGGED;'],
    good: ['ALTER TABLE big SET (fillfactor = 90);'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'ALTER TABLE big SET TABLESPACE fast_ssd;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'flagged example 2', sql: 'ALTER TABLE big SET UNLOGGED;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'fine example', sql: 'ALTER TABLE big SET (fillfactor = 90);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE big SET TABLESPACE fast_ssd;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    { name: 'SET LOGGED', sql: 'ALTER TABLE big SET LOGGED;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE big (id bigint);\nALTER TABLE big SET TABLESPACE fast_ssd;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: Object.keys(REWRITES),
  check(s, ctx) {
    return cmdsOf(s)
      .filter((c) => REWRITES[c.subtype] !== undefined)
      .filter((c) => !alreadySo(ctx.live, c.subtype, c.table, str(c.cmd.name)))
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `${REWRITES[c.subtype]} ${c.table}${c.subtype === 'AT_SetTableSpace' ? ` to ${str(c.cmd.name)}` : ''} under ACCESS EXCLUSIVE`,
      }));
  },
};
