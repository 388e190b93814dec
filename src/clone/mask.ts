// Masking rules turned into SQL expressions that run inside the source's COPY (SELECT ...): the
// unmasked value never leaves the source server. Every generated rule is deterministic (md5 of an
// optional salt and the value), so the same e-mail masks the same way in every table and joins still
// match; hash-based outputs keep all 128 bits, so distinct inputs stay distinct in unique columns.
import type { MaskRule } from '../config/sections/masking.js';
import { UsageError } from '../errors.js';

export { MASK_RULES, type MaskRule, parseMaskRule } from '../config/sections/masking.js';

export function describeRule(r: MaskRule): string {
  return r.kind === 'fixed' ? `fixed:${r.value}` : r.kind === 'sql' ? `sql:${r.expr}` : r.kind;
}

/** A string literal safe with standard_conforming_strings on or off (E'' form, quotes and backslashes doubled). */
export function literal(s: string): string {
  return `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

const FIRST = [
  'Alex',
  'Sam',
  'Maria',
  'Jean',
  'Yuki',
  'Omar',
  'Lena',
  'Ivan',
  'Ana',
  'Kofi',
  'Mei',
  'Noah',
  'Zoe',
  'Luca',
  'Aisha',
  'Tom',
  'Nina',
  'Ravi',
  'Eva',
  'Hugo',
];
const LAST = [
  'Smith',
  'Garcia',
  'Martin',
  'Kim',
  'Novak',
  'Silva',
  'Dubois',
  'Okafor',
  'Rossi',
  'Sato',
  'Jensen',
  'Kowalski',
  'Haddad',
  'Moreau',
  'Ivanova',
  'Lopez',
  'Weber',
  'Nguyen',
  'Costa',
  'Berg',
];

export interface MaskColumn {
  /** Quoted column name. */
  ident: string;
  name: string;
  /** format_type() of the column. */
  type: string;
  notNull: boolean;
  /** The column alone is unique (single-column unique index or constraint). */
  unique: boolean;
}

const TEXTUAL = /^(text|character varying|varchar|citext|name|character|bpchar)\b/;

/** Maximum length of a varchar(n)/char(n) column, or null. */
function maxLength(type: string): number | null {
  const m = /^(?:character varying|character|varchar|bpchar)\((\d+)\)/.exec(type);
  return m ? Number(m[1]) : null;
}

/** The SELECT-list expression for a masked column; throws a UsageError when the rule cannot fit it. */
export function maskExpression(col: MaskColumn, rule: MaskRule, salt: string, where: string): string {
  const digest = `md5(${literal(salt)} || ${col.ident}::text)`;
  const needText = (len: number) => {
    if (!TEXTUAL.test(col.type))
      throw new UsageError(
        `masking ${where}: rule ${describeRule(rule)} makes text, but the column is ${col.type}`,
        'use null, fixed:<value> or sql:<expression> for non-text columns',
      );
    const max = maxLength(col.type);
    if (max !== null && max < len)
      throw new UsageError(
        `masking ${where}: rule ${describeRule(rule)} makes values up to ${len} characters, the column is ${col.type}`,
        'use sql:<expression> to fit it, e.g. sql:left(md5(email), 20)',
      );
  };
  switch (rule.kind) {
    case 'null':
      if (col.notNull)
        throw new UsageError(`masking ${where}: rule null on a NOT NULL column`, 'use hash or fixed:<value>');
      return 'NULL';
    case 'fixed':
      if (col.unique)
        throw new UsageError(
          `masking ${where}: fixed:${rule.value} on a unique column would make every row collide`,
          'use hash or fake_email, which keep distinct values distinct',
        );
      return literal(rule.value);
    case 'hash':
      needText(32);
      return digest;
    case 'fake_email':
      needText(49);
      return `'user_' || ${digest} || '@example.invalid'`;
    case 'fake_name': {
      const pick = (list: string[], byte: number) =>
        `(ARRAY[${list.map(literal).join(',')}])[1 + get_byte(decode(${digest}, 'hex'), ${byte}) % ${list.length}]`;
      // A unique column gets the full digest appended: two people may share a fake name, never a value.
      const name = `${pick(FIRST, 0)} || ' ' || ${pick(LAST, 1)}${col.unique ? ` || ' ' || ${digest}` : ''}`;
      needText(col.unique ? 60 : 20);
      return `CASE WHEN ${col.ident} IS NULL THEN NULL ELSE ${name} END`;
    }
    case 'sql':
      return `(${rule.expr})`;
  }
}
