// Alembic: the real Alembic offline mode (`upgrade <from>:<to> --sql`) renders the pending revisions as
// SQL without connecting; the output is cut per revision at its `-- Running upgrade a -> b` comments and
// the bookkeeping (BEGIN/COMMIT, alembic_version) is stripped. Alembic runs the whole upgrade in ONE
// transaction by default (transaction_per_migration still wraps each), so every revision is wrapped.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseRevision } from '../alembic.js';
import { isDir } from '../common.js';
import { childEnv, lastErrorLine, pythonFor, runPython } from '../python.js';
import { absolute, fromFiles, REHEARSE, type StaticContext, type StaticMigration } from './types.js';

/** Offline mode never connects: the URL only picks the dialect. */
export const OFFLINE_URL = 'postgresql://pgward-offline@localhost/offline';

const DRIVER = `
import sys
from alembic.config import Config
from alembic import command
cfg = Config(sys.argv[1])
cfg.set_main_option("sqlalchemy.url", sys.argv[3])
command.upgrade(cfg, sys.argv[2], sql=True)
`;

function versionsDir(dir: string): string {
  const inner = join(dir, 'versions');
  return isDir(inner) ? inner : dir;
}

/** Revision → SQL of its upgrade, from offline output. */
export function splitOffline(output: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = output.split(/^-- Running upgrade ([^\n]*?) -> ([^\s]+)\s*$/m);
  for (let i = 1; i + 2 < parts.length + 1; i += 3) {
    const to = parts[i + 1]!;
    const body = (parts[i + 2] ?? '')
      .replace(/^(BEGIN|COMMIT);\s*$/gm, '')
      .replace(/^CREATE TABLE alembic_version \([\s\S]*?\);\s*$/m, '')
      .replace(/^(INSERT INTO|UPDATE|DELETE FROM) alembic_version\b[^;]*;\s*$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    out.set(to, body === '' ? '' : `${body}\n`);
  }
  return out;
}

/** What offline mode cannot see in a revision's source. */
function offlineNotes(source: string): string[] {
  const notes: string[] = [];
  if (/\bget_bind\s*\(|\binspect\s*\(|\breflect\b|\bautoload_with\b/.test(source))
    notes.push(
      `reads the database (op.get_bind() / reflection): offline mode cannot see that logic — ${REHEARSE}`,
    );
  if (/\bautocommit_block\s*\(/.test(source))
    notes.push('autocommit_block() commits the running transaction and runs its statements outside one');
  return notes;
}

function failed(ctx: StaticContext, files: Map<string, string>, note: string): StaticMigration[] {
  return ctx.pending.map((m) => {
    const file = files.get(m.version);
    return file
      ? fromFiles(m.version, [file], undefined, true, [note])
      : { version: m.version, files: [], checksum: '', sql: undefined, wrapped: true, notes: [note] };
  });
}

export async function readAlembic(ctx: StaticContext): Promise<StaticMigration[]> {
  if (ctx.pending.length === 0) return [];
  const vdir = versionsDir(ctx.dir);
  const files = new Map(
    ctx.pending.filter((m) => m.file !== undefined).map((m) => [m.version, absolute(vdir, m.file!)]),
  );
  const ini = resolve(ctx.root, ctx.details?.alembicIni ?? 'alembic.ini');
  const firstFile = files.get(ctx.pending[0]!.version);
  const first = firstFile ? parseRevision(firstFile, readFileSync(firstFile, 'utf8')) : undefined;
  const parents = first?.parents ?? [];
  if (parents.length > 1)
    return failed(
      ctx,
      files,
      `the first pending revision merges ${parents.length} heads: offline mode needs one start — ${REHEARSE}`,
    );
  const to = ctx.pending[ctx.pending.length - 1]!.version;
  const range = parents.length === 1 ? `${parents[0]}:${to}` : to;
  const python = await pythonFor('alembic', ctx.root, ctx.details?.python);
  if (python === undefined)
    return failed(ctx, files, `no Python with alembic installed (set PGWARD_PYTHON) — ${REHEARSE}`);
  const env = childEnv({ DATABASE_URL: OFFLINE_URL, PYTHONDONTWRITEBYTECODE: '1' });
  const r = await runPython(python, ['-', ini, range, OFFLINE_URL], {
    // Alembic resolves a relative script_location from the directory it is run in: the project root.
    cwd: ctx.root,
    env,
    input: DRIVER,
  });
  if (r.code !== 0)
    return failed(
      ctx,
      files,
      `alembic upgrade ${range} --sql failed: ${lastErrorLine(r.stderr)} — ${REHEARSE}`,
    );
  const byRevision = splitOffline(r.stdout);
  return ctx.pending.map((m) => {
    const file = files.get(m.version);
    const sql = byRevision.get(m.version);
    const notes = file ? offlineNotes(readFileSync(file, 'utf8')) : [];
    if (sql === undefined) notes.push(`offline mode printed nothing for ${m.version} — ${REHEARSE}`);
    if (!file) return { version: m.version, files: [], checksum: '', sql, wrapped: true, notes };
    return fromFiles(m.version, [file], sql, true, notes);
  });
}
