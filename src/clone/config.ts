// The `masking:` section of pgward.yaml: which columns are masked when data is copied into an
// environment (or from one environment into another), and how.
import { z } from 'zod';
import type { LoadedConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { type MaskRule, parseMaskRule } from './mask.js';

const ruleValue = z.union([z.string().min(1), z.null()]).superRefine((v, ctx) => {
  try {
    parseMaskRule(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const maskingRuleSetSchema = z
  .object({
    /** Target environment name (or `rehearsal` for rehearsal copies, `*` for every target). */
    to: z.string().min(1),
    /** Source environment name; omitted = any source. */
    from: z.string().min(1).optional(),
    /** `schema.table.column` (or `table.column`, schema public) -> rule. */
    columns: z.record(z.string().regex(/^[^.]+(\.[^.]+){1,2}$/, 'schema.table.column'), ruleValue),
  })
  .strict();

export const maskingSchema = z
  .object({
    /** Mixed into every hash-based rule so masked values cannot be confirmed with a dictionary. */
    salt: z.string().optional(),
    rules: z.array(maskingRuleSetSchema),
  })
  .strict();

export type RawMasking = z.infer<typeof maskingSchema>;

export interface ColumnMask {
  schema: string;
  table: string;
  column: string;
  rule: MaskRule;
}

export interface MaskingPlan {
  salt: string;
  columns: ColumnMask[];
}

/**
 * The masks that apply to a copy from `from` into `to` (environment names; undefined for bare URLs).
 *
 * @example
 * ```ts
 * import { loadConfig, maskingFor } from 'pgward';
 * const masking = maskingFor(loadConfig('pgward.yaml'), 'production', 'staging');
 * ```
 */
export function maskingFor(
  config: LoadedConfig | undefined,
  from: string | undefined,
  to: string | undefined,
): MaskingPlan {
  const raw = (config?.raw as { masking?: RawMasking } | undefined)?.masking;
  const columns = new Map<string, ColumnMask>();
  for (const set of raw?.rules ?? []) {
    if (set.to !== '*' && set.to !== to) continue;
    if (set.from !== undefined && set.from !== from) continue;
    for (const [key, value] of Object.entries(set.columns)) {
      const parts = key.split('.');
      const [schema, table, column] = parts.length === 3 ? parts : ['public', ...parts];
      // Later, more specific sets (with `from`) override earlier ones for the same column.
      columns.set(`${schema}.${table}.${column}`, {
        schema: schema!,
        table: table!,
        column: column!,
        rule: parseMaskRule(value),
      });
    }
  }
  return { salt: raw?.salt ?? '', columns: [...columns.values()] };
}

/** Masks given on the command line (`--mask schema.table.column=rule`) are added to the configured ones. */
export function addCliMasks(plan: MaskingPlan, specs: string[]): MaskingPlan {
  const columns = [...plan.columns];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 1) throw new UsageError(`--mask ${spec}: expected schema.table.column=rule`);
    const key = spec.slice(0, eq).split('.');
    if (key.length < 2 || key.length > 3 || key.some((k) => !k))
      throw new UsageError(`--mask ${spec}: expected schema.table.column=rule`);
    const [schema, table, column] = key.length === 3 ? key : ['public', ...key];
    let rule: MaskRule;
    try {
      rule = parseMaskRule(spec.slice(eq + 1) === 'null' ? null : spec.slice(eq + 1));
    } catch (err) {
      throw new UsageError(`--mask ${spec}: ${(err as Error).message}`);
    }
    const i = columns.findIndex((c) => c.schema === schema && c.table === table && c.column === column);
    const mask = { schema: schema!, table: table!, column: column!, rule };
    if (i >= 0) columns[i] = mask;
    else columns.push(mask);
  }
  return { ...plan, columns };
}
