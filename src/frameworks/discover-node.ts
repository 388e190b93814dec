// Discovery of the Node frameworks: Prisma (schema.prisma, package.json `prisma.schema`), Knex (knexfile)
// and node-pg-migrate (dependency, scripts, config). Configuration that is code is read statically: what
// cannot be seen without running it falls back to the framework's default, and the evidence says so.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { FrameworkLayout } from '../config/frameworks.js';
import { isDir } from './common.js';

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function field(obj: unknown, ...path: string[]): unknown {
  let v = obj;
  for (const p of path)
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** The string literals of a JavaScript expression, e.g. `path.join(__dirname, 'db', "migrations")`. */
function literals(expr: string): string[] {
  return [...expr.matchAll(/(['"`])([^'"`\n]*)\1/g)].map((m) => m[2]!);
}

/** The env var names a Prisma datasource reads: `url = env("X")`, `directUrl = env("Y")`. */
export function prismaEnvVars(schema: string): { url?: string; directUrl?: string } {
  const block = /datasource\s+\w+\s*\{([\s\S]*?)\}/.exec(schema)?.[1] ?? '';
  const env = (key: string) =>
    new RegExp(`^\\s*${key}\\s*=\\s*env\\(\\s*"([^"]+)"\\s*\\)`, 'm').exec(block)?.[1];
  const out: { url?: string; directUrl?: string } = {};
  const url = env('url');
  const directUrl = env('directUrl');
  if (url) out.url = url;
  if (directUrl) out.directUrl = directUrl;
  return out;
}

/** What a prisma.config.* file states as literals (Prisma 6+): schema, migrations.path, datasource env vars. */
interface PrismaConfig {
  file: string;
  schema?: string;
  migrations?: string;
  url?: string;
  directUrl?: string;
}

const PRISMA_CONFIGS = [
  'prisma.config.ts',
  'prisma.config.mts',
  'prisma.config.mjs',
  'prisma.config.js',
  'prisma.config.cjs',
];

function prismaConfig(root: string): PrismaConfig | undefined {
  const file = PRISMA_CONFIGS.find((f) => existsSync(join(root, f)));
  if (!file) return undefined;
  const src = readFileSync(join(root, file), 'utf8');
  const str = (re: RegExp) => re.exec(src)?.[2];
  // `url: env("X")`, `url: process.env.X` or `url: process.env["X"]`.
  const envOf = (key: string) => {
    const m = new RegExp(
      `\\b${key}\\s*:\\s*(?:env\\(\\s*(['"\`])(\\w+)\\1\\s*\\)|process\\.env\\.(\\w+)|process\\.env\\[\\s*(['"])(\\w+)\\4\\s*\\])`,
    ).exec(src);
    return m ? (m[2] ?? m[3] ?? m[5]) : undefined;
  };
  const out: PrismaConfig = { file };
  const schema = str(/\bschema\s*:\s*(['"`])([^'"`\n]+)\1/);
  const migrations = str(/\bmigrations\s*:\s*\{[^}]*?\bpath\s*:\s*(['"`])([^'"`\n]+)\1/);
  const url = envOf('url');
  const directUrl = envOf('directUrl');
  if (schema) out.schema = schema;
  if (migrations) out.migrations = migrations;
  if (url) out.url = url;
  if (directUrl) out.directUrl = directUrl;
  return out;
}

/** The schema file (or multi-file schema folder) of a package, as the Prisma CLI looks for it. */
function prismaSchema(
  root: string,
  config: PrismaConfig | undefined,
): { path: string; how: string } | undefined {
  const configured = field(readJson(join(root, 'package.json')), 'prisma', 'schema');
  if (typeof configured === 'string' && existsSync(resolve(root, configured)))
    return { path: resolve(root, configured), how: `package.json prisma.schema = ${configured}` };
  if (config?.schema && existsSync(resolve(root, config.schema)))
    return { path: resolve(root, config.schema), how: `${config.file} schema = ${config.schema}` };
  for (const rel of ['schema.prisma', 'prisma/schema.prisma', 'prisma/schema']) {
    if (existsSync(join(root, rel))) return { path: join(root, rel), how: rel };
  }
  return undefined;
}

function schemaText(path: string): string {
  if (!isDir(path)) return readFileSync(path, 'utf8');
  return readdirSync(path)
    .filter((f) => f.endsWith('.prisma'))
    .map((f) => readFileSync(join(path, f), 'utf8'))
    .join('\n');
}

export function discoverPrisma(root: string): FrameworkLayout[] {
  const config = prismaConfig(root);
  const schema = prismaSchema(root, config);
  if (!schema) return [];
  const fromSchema = join(isDir(schema.path) ? schema.path : dirname(schema.path), 'migrations');
  const dir = config?.migrations ? resolve(root, config.migrations) : fromSchema;
  const vars = prismaEnvVars(schemaText(schema.path));
  const url = config?.url ?? vars.url;
  const directUrl = config?.directUrl ?? vars.directUrl;
  const details: Record<string, string> = { prismaSchema: schema.path };
  if (config) details.prismaConfig = join(root, config.file);
  // `prisma migrate` connects with directUrl when there is one (url is often a pooler).
  const migrateVar = directUrl ?? url;
  if (migrateVar) details.prismaUrlEnv = migrateVar;
  if (directUrl && url) details.prismaPooledUrlEnv = url;
  const how = config?.migrations
    ? `${schema.how}; ${config.file} migrations.path = ${config.migrations}`
    : schema.how;
  return [{ framework: 'prisma', root, dir, evidence: how, details }];
}

const KNEXFILES = ['knexfile.js', 'knexfile.cjs', 'knexfile.mjs', 'knexfile.ts'];

/** The text of the JavaScript expression starting at `src[from]`: up to a `,`, `}` or newline outside brackets. */
function expression(src: string, from: number): string {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && (c === ',' || c === '}' || c === '\n')) return src.slice(from, i);
    // An array lists several folders; its first is where Knex writes and what pgward reads.
    else if (depth === 1 && c === ',' && src[from] === '[') return src.slice(from, i);
  }
  return src.slice(from);
}

/** `migrations: { directory: … }` when it is written as literals; several environments → all of them. */
export function knexDirectories(src: string): string[] {
  const dirs: string[] = [];
  for (const m of src.matchAll(/\bdirectory\s*:\s*/g)) {
    const parts = literals(expression(src, m.index + m[0].length).replace(/__dirname\s*,?/g, ''));
    if (parts.length > 0) dirs.push(join(...parts));
  }
  return [...new Set(dirs)];
}

export function discoverKnex(root: string): FrameworkLayout[] {
  const file = KNEXFILES.find((f) => existsSync(join(root, f)));
  if (!file) return [];
  const knexfile = join(root, file);
  const dirs = knexDirectories(readFileSync(knexfile, 'utf8'));
  const chosen = dirs[0] ?? 'migrations';
  const evidence =
    dirs.length === 0
      ? `${file} (no literal migrations.directory: Knex's default ./migrations)`
      : `${file} migrations.directory = ${chosen}${dirs.length > 1 ? ` (also ${dirs.slice(1).join(', ')})` : ''}`;
  return [{ framework: 'knex', root, dir: resolve(root, chosen), evidence, details: { knexfile } }];
}

/** `-m dir` / `--migrations-dir dir` / `--migrations-dir=dir` in a node-pg-migrate command line. */
function dirFromScript(script: string): string | undefined {
  if (!/node-pg-migrate/.test(script)) return undefined;
  return /(?:^|\s)(?:-m|--migrations-dir)(?:\s+|=)(['"]?)([^\s'"&|;]+)\1/.exec(script)?.[2];
}

/** A migrations-dir given in a node-pg-migrate config file, with the evidence; or the file alone. */
function nodePgMigrateConfig(root: string): { dir?: string; how: string } | undefined {
  for (const cfg of ['.pgmigraterc', '.pgmigraterc.json', 'config/default.json']) {
    const json = readJson(join(root, cfg));
    const d = field(json, 'migrations-dir') ?? field(json, 'migrationsDir');
    if (typeof d === 'string') return { dir: d, how: `${cfg} migrations-dir = ${d}` };
    if (json && cfg !== 'config/default.json') return { how: `${cfg} (default ./migrations)` };
  }
  return undefined;
}

export function discoverNodePgMigrate(root: string): FrameworkLayout[] {
  const pkg = readJson(join(root, 'package.json'));
  const hasDep = ['dependencies', 'devDependencies'].some(
    (k) => field(pkg, k, 'node-pg-migrate') !== undefined,
  );
  let found: { dir?: string; how: string } | undefined;
  for (const [name, script] of Object.entries((field(pkg, 'scripts') ?? {}) as Record<string, unknown>)) {
    const d = typeof script === 'string' ? dirFromScript(script) : undefined;
    if (d !== undefined) {
      found = { dir: d, how: `package.json scripts.${name} -m ${d}` };
      break;
    }
  }
  found ??= nodePgMigrateConfig(root);
  if (!found && !hasDep) return [];
  const evidence = found?.how ?? 'package.json depends on node-pg-migrate (default ./migrations)';
  const dir = resolve(root, found?.dir ?? 'migrations');
  // A dependency alone (a tool's devDependency, a test fixture) with no migrations folder is not a layout.
  if (!found && !existsSync(dir)) return [];
  return [{ framework: 'node-pg-migrate', root, dir, evidence, details: {} }];
}

/** Shown in messages: a path relative to where the user is. */
export function shown(path: string, from = process.cwd()): string {
  return relative(from, path) || '.';
}
