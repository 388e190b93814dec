// Kept apart from schema.ts so that code needing the names does not load the schema validator.
export const FRAMEWORKS = [
  'pgward',
  'dbmate',
  'rails',
  'alembic',
  'prisma',
  'flyway',
  'golang-migrate',
  'node-pg-migrate',
  'knex',
  'django',
] as const;
export type FrameworkName = (typeof FRAMEWORKS)[number];

/**
 * A framework found from a project's own files (src/frameworks/discover.ts). Kept here, below the
 * capabilities, so a resolved MigrationsSource can carry the layout it came from.
 */
export interface FrameworkLayout {
  framework: FrameworkName;
  /** Absolute project root: the folder holding Gemfile / alembic.ini / manage.py / the knexfile … */
  root: string;
  /** Absolute migrations folder (Django: the root; its adapter scans the apps' migrations packages). */
  dir: string;
  /** Human text: what was read, e.g. "alembic.ini script_location = migrations". */
  evidence: string;
  /** Framework specifics: prismaSchema, prismaUrlEnv, djangoSettings, alembicIni, knexfile, flywayConfig … */
  details: Record<string, string>;
}
