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
] as const;
export type FrameworkName = (typeof FRAMEWORKS)[number];
