// The `import:` section of pgward.yaml (docs/import.md). Kept in src/config so the whole file is
// validated without importing src/import; src/import/config.ts turns it into ImportSettings.
import { z } from 'zod';

const ident = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/, 'a table or column name');

export const importSchema = z
  .object({
    /** The target table (default json_store); it must exist, created by a migration. */
    table: ident.optional(),
    /** Its unique key column (default kind). */
    key_column: ident.optional(),
    /** Its jsonb column (default data). */
    data_column: ident.optional(),
    /** Set to now() when a row is inserted or changes (default updated_at; null for none). */
    updated_at_column: ident.nullable().optional(),
    /** Extra columns filled from the document: column → dotted path in it. */
    columns: z.record(ident, z.string().min(1)).optional(),
    /** A JSON Schema file per kind (key), relative to pgward.yaml. */
    schemas: z.record(z.string().min(1), z.string().min(1)).optional(),
    /** Records per transaction (default 20000). */
    batch_size: z.number().int().min(1).max(1_000_000).optional(),
    /** Redis source settings. */
    redis: z
      .object({
        /** PEM file of the CA that signed a rediss:// server's certificate, relative to pgward.yaml. */
        tls_ca: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type RawImport = z.infer<typeof importSchema>;
