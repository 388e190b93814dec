// Django: `sqlmigrate <app> <name>` per pending migration, run in one Python process through Django's
// call_command. sqlmigrate needs a live connection, so the project's settings are wrapped in a generated
// shim module whose DATABASES['default'] comes from environment variables (never argv). An atomic
// migration prints BEGIN;…COMMIT; (stripped; wrapped = true); RunPython cannot be written as SQL.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { redact, registerSecret } from '../../redact.js';
import { childEnv, lastErrorLine, pythonFor, runPython } from '../python.js';
import { absolute, fromFiles, REHEARSE, type StaticContext, type StaticMigration } from './types.js';

const SHIM_MODULE = 'pgward_sqlmigrate_settings';

const SHIM = `
import os
from importlib import import_module
_base = import_module(os.environ["PGWARD_DJANGO_BASE_SETTINGS"])
globals().update({k: getattr(_base, k) for k in dir(_base) if k.isupper()})
DATABASES = dict(globals().get("DATABASES") or {})
_db = dict(DATABASES.get("default") or {})
_db.update(
    ENGINE="django.db.backends.postgresql",
    NAME=os.environ["PGWARD_DB_NAME"],
    USER=os.environ.get("PGWARD_DB_USER", ""),
    PASSWORD=os.environ.get("PGWARD_DB_PASSWORD", ""),
    HOST=os.environ.get("PGWARD_DB_HOST", ""),
    PORT=os.environ.get("PGWARD_DB_PORT", ""),
)
if os.environ.get("PGWARD_DB_SSLMODE"):
    _db["OPTIONS"] = dict(_db.get("OPTIONS") or {}, sslmode=os.environ["PGWARD_DB_SSLMODE"])
DATABASES["default"] = _db
`;

const DRIVER = `
import io, json, sys
import django
django.setup()
from django.core.management import call_command
out = {}
for version in sys.argv[1:]:
    app, name = version.split(".", 1)
    buf = io.StringIO()
    try:
        call_command("sqlmigrate", app, name, stdout=buf, no_color=True)
        out[version] = {"sql": buf.getvalue()}
    except BaseException as e:
        out[version] = {"error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")}
sys.stdout.write("\\n@@pgward@@" + json.dumps(out))
`;

const NOT_SQL = '-- MIGRATION NOW PERFORMS OPERATION THAT CANNOT BE WRITTEN AS SQL';

/** One migration's sqlmigrate output → its SQL, whether it is atomic, and notes. */
export function readSqlmigrate(output: string): { sql: string; wrapped: boolean; notes: string[] } {
  const lines = output.replace(/\r\n/g, '\n').split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === '') last--;
  const wrapped = lines[first]?.trim() === 'BEGIN;' && lines[last]?.trim() === 'COMMIT;';
  const body = wrapped ? lines.slice(first + 1, last) : lines;
  const notes: string[] = [];
  body.forEach((l, i) => {
    if (!l.trim().startsWith(NOT_SQL)) return;
    // Django writes the operation's description on the comment line after the marker.
    const next = body
      .slice(i + 1, i + 3)
      .map((x) => x.replace(/^--\s?/, '').trim())
      .find(Boolean);
    notes.push(`${next ?? 'RunPython'}: Python code that cannot be read as SQL — ${REHEARSE}`);
  });
  const sql = body
    .filter((l) => !l.trim().startsWith(NOT_SQL))
    .join('\n')
    .trim();
  return { sql: sql === '' ? '' : `${sql}\n`, wrapped, notes };
}

/** The settings module: given, or the one manage.py sets as its default. */
function settingsModule(ctx: StaticContext, manage: string): string | undefined {
  if (ctx.details?.djangoSettings) return ctx.details.djangoSettings;
  if (existsSync(manage)) {
    const m = /DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]/.exec(readFileSync(manage, 'utf8'));
    if (m) return m[1];
  }
  return process.env.DJANGO_SETTINGS_MODULE;
}

function dbEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  registerSecret(password);
  const env: NodeJS.ProcessEnv = {
    PGWARD_DB_NAME: decodeURIComponent(u.pathname.replace(/^\//, '')),
    PGWARD_DB_USER: decodeURIComponent(u.username),
    PGWARD_DB_PASSWORD: password,
    PGWARD_DB_HOST: u.hostname.replace(/^\[|\]$/g, ''),
    PGWARD_DB_PORT: u.port,
  };
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGWARD_DB_SSLMODE = sslmode;
  return env;
}

/** The migration's .py: the adapter's file, else `<app>/migrations/<name>.py` under dir or root. */
function fileOf(ctx: StaticContext, version: string, file: string | undefined): string | undefined {
  if (file !== undefined) return absolute(ctx.dir, file);
  const [app, name] = version.split('.', 2);
  return [ctx.dir, ctx.root]
    .map((d) => join(d, app ?? '', 'migrations', `${name}.py`))
    .find((p) => existsSync(p));
}

function result(
  version: string,
  file: string | undefined,
  sql: string | undefined,
  wrapped: boolean,
  notes: string[],
): StaticMigration {
  if (file === undefined) return { version, files: [], checksum: '', sql, wrapped, notes };
  return fromFiles(version, [file], sql, wrapped, notes);
}

async function runSqlmigrate(ctx: StaticContext, manage: string, settings: string, python: string) {
  const shimDir = mkdtempSync(join(tmpdir(), 'pgward-django-'));
  try {
    writeFileSync(join(shimDir, `${SHIM_MODULE}.py`), SHIM, { mode: 0o600 });
    const cwd = dirname(manage);
    const env = childEnv({
      ...dbEnv(ctx.databaseUrl!),
      // Settings that parse DATABASE_URL themselves (dj-database-url) import cleanly; the shim wins anyway.
      DATABASE_URL: ctx.databaseUrl,
      DJANGO_SETTINGS_MODULE: SHIM_MODULE,
      PGWARD_DJANGO_BASE_SETTINGS: settings,
      PYTHONPATH: [shimDir, cwd, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
      PYTHONDONTWRITEBYTECODE: '1',
    });
    return await runPython(python, ['-', ...ctx.pending.map((m) => m.version)], { cwd, env, input: DRIVER });
  } finally {
    rmSync(shimDir, { recursive: true, force: true });
  }
}

export async function readDjango(ctx: StaticContext): Promise<StaticMigration[]> {
  if (ctx.pending.length === 0) return [];
  const files = ctx.pending.map((m) => fileOf(ctx, m.version, m.file));
  const all = (note: string) =>
    ctx.pending.map((m, i) => result(m.version, files[i], undefined, true, [note]));
  const manage = resolve(ctx.root, ctx.details?.djangoManage ?? 'manage.py');
  const settings = settingsModule(ctx, manage);
  if (settings === undefined)
    return all(`no Django settings module found (manage.py or djangoSettings) — ${REHEARSE}`);
  if (ctx.databaseUrl === undefined)
    return all(`sqlmigrate needs a database connection: plan against an environment (--env) — ${REHEARSE}`);
  const python = await pythonFor('django', ctx.root, ctx.details?.python);
  if (python === undefined) return all(`no Python with Django installed (set PGWARD_PYTHON) — ${REHEARSE}`);
  const r = await runSqlmigrate(ctx, manage, settings, python);
  const marker = r.stdout.lastIndexOf('\n@@pgward@@');
  if (r.code !== 0 || marker === -1)
    return all(`manage.py sqlmigrate failed: ${lastErrorLine(r.stderr)} — ${REHEARSE}`);
  const byVersion = JSON.parse(r.stdout.slice(marker + 11)) as Record<
    string,
    { sql?: string; error?: string }
  >;
  return ctx.pending.map((m, i) => {
    const got = byVersion[m.version];
    if (got?.sql === undefined)
      return result(m.version, files[i], undefined, true, [
        `sqlmigrate ${m.version}: ${redact(got?.error ?? 'no output')} — ${REHEARSE}`,
      ]);
    const read = readSqlmigrate(got.sql);
    return result(m.version, files[i], read.sql, read.wrapped, read.notes);
  });
}
