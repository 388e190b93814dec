// An environment's Neon branch (docs/neon.md): which project and branch hold its database, and how
// pgward reaches the Neon API. Only the variable NAME of the API key lives in pgward.yaml, never the key.
import { z } from 'zod';

export const neonSchema = z
  .object({
    /** The Neon project id (e.g. shiny-wind-028834). */
    project: z.string().regex(/^[a-z0-9-]{1,60}$/, 'a Neon project id like shiny-wind-028834'),
    /** The environment's branch: its id (br-…) or its name (default: the project's default branch). */
    branch: z.string().min(1).optional(),
    /** The variable holding the API key (default NEON_API_KEY). */
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** Base URL of the API (default https://console.neon.tech/api/v2; a simulator in tests). */
    api_url: z.string().url().optional(),
    /** Database and role pgward connects as on a branch (default neondb / neondb_owner). */
    database: z.string().min(1).optional(),
    role: z.string().min(1).optional(),
  })
  .strict();

export type RawNeon = z.infer<typeof neonSchema>;
