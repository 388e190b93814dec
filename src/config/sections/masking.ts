// The `masking:` section of pgward.yaml (docs/clone.md) and the grammar of one masking rule, which the
// schema validates. Kept in src/config so the whole file is validated without importing src/clone;
// src/clone/mask.ts turns rules into SQL, src/clone/config.ts picks the rules of a copy.
import { z } from 'zod';

export type MaskRule =
  | { kind: 'null' }
  | { kind: 'fake_email' }
  | { kind: 'fake_name' }
  | { kind: 'hash' }
  | { kind: 'fixed'; value: string }
  | { kind: 'sql'; expr: string };

export const MASK_RULES = 'null, fake_email, fake_name, hash, fixed:<value>, sql:<expression>';

export function parseMaskRule(v: string | null): MaskRule {
  if (v === null || v === 'null') return { kind: 'null' };
  if (v === 'fake_email' || v === 'fake_name' || v === 'hash') return { kind: v };
  if (v.startsWith('fixed:')) return { kind: 'fixed', value: v.slice('fixed:'.length) };
  if (v.startsWith('sql:') && v.slice(4).trim()) return { kind: 'sql', expr: v.slice(4).trim() };
  throw new Error(`unknown masking rule "${v}" (use ${MASK_RULES})`);
}

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
