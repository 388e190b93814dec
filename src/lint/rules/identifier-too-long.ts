import type { Rule } from '../types.js';

// PostgreSQL truncates identifiers to 63 bytes with only a NOTICE: later statements using the full name
// fail. The parser truncates too, so the statement text is scanned (string literals removed first).
const IDENT = /"((?:[^"]|"")+)"|\b([A-Za-z_][\w$]*)/g;

export const rule: Rule = {
  id: 'identifier-too-long',
  category: 'robustness',
  severity: 'warning',
  message: 'Identifier longer than 63 bytes is silently truncated',
  why: 'The object gets a shorter name than written; later references to the full name, or two names sharing a 63-byte prefix, fail.',
  fix: 'Use a name of at most 63 bytes.',
  examples: {
    bad: [`CREATE TABLE ${'a'.repeat(64)} (id bigint);`],
    good: [`CREATE TABLE ${'a'.repeat(63)} (id bigint);`, `INSERT INTO t VALUES ('${'a'.repeat(80)}');`],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE TABLE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (id bigint);',
      expect: [[1, 'none']],
    },
    {
      name: 'fine example 1',
      sql: 'CREATE TABLE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (id bigint);',
      expect: [],
    },
    {
      name: 'fine example 2',
      sql: "INSERT INTO t VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');",
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE TABLE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (id bigint);',
      expect: [[3, 'none']],
    },
    {
      name: 'a 64-character index name',
      sql: 'CREATE INDEX CONCURRENTLY iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii ON users(email);',
      expect: [[1, 'none']],
    },
    {
      name: 'exactly 63 characters',
      sql: 'CREATE TABLE ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt (id bigint);',
      expect: [],
    },
  ],
  check(s) {
    if (!/[\w$]{64}|"[^"]{64}/.test(s.sql)) return []; // cheap pre-check: most statements have no long name
    const code = s.sql.replace(/'(?:[^']|'')*'/g, "''").replace(/\$(\w*)\$[\s\S]*?\$\1\$/g, "''");
    const long = new Set<string>();
    for (const m of code.matchAll(IDENT)) {
      const name = m[1] ?? m[2] ?? '';
      if (Buffer.byteLength(name) > 63) long.add(name);
    }
    return [...long].map((name) => ({
      lock: 'none' as const,
      relation: name.slice(0, 63),
      message: `"${name.slice(0, 20)}..." is ${Buffer.byteLength(name)} bytes and becomes "${name.slice(0, 63)}"`,
    }));
  },
};
