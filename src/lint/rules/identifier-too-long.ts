import { walk } from '../ast.js';
import type { Rule } from '../types.js';

// PostgreSQL truncates identifiers to 63 bytes with only a NOTICE: later statements using the full name fail.
const NAME_KEYS = ['relname', 'idxname', 'conname', 'colname', 'newname', 'schemaname'];

export const rule: Rule = {
  id: 'identifier-too-long',
  category: 'robustness',
  severity: 'warning',
  message: 'Identifier longer than 63 bytes is silently truncated',
  why: 'The object gets a shorter name than written; later references to the full name, or two names sharing a 63-byte prefix, fail.',
  fix: 'Use a name of at most 63 bytes.',
  examples: {
    bad: [`CREATE TABLE ${'a'.repeat(64)} (id bigint);`],
    good: [`CREATE TABLE ${'a'.repeat(63)} (id bigint);`],
  },
  check(s) {
    const long = new Set<string>();
    walk(s.node, (_kind, body) => {
      for (const k of NAME_KEYS) {
        const v = body[k];
        if (typeof v === 'string' && Buffer.byteLength(v) > 63) long.add(v);
      }
    });
    return [...long].map((name) => ({
      lock: 'none' as const,
      relation: name.slice(0, 63),
      message: `"${name.slice(0, 20)}..." is ${Buffer.byteLength(name)} bytes and becomes "${name.slice(0, 63)}"`,
    }));
  },
};
