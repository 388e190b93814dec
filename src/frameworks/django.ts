// Django: every app's `migrations` package (`<app>/migrations/__init__.py` + `<name>.py` modules), table
// `django_migrations(id, app, name, applied)` with one row per applied (app, name). The version shown is
// `app.name` (e.g. `users.0002_add_email`). Rows of apps that are not in the project (django.contrib,
// third-party packages) are somebody else's files: they are left out, never reported as missing.
// A squashed migration (`replaces = [...]`) counts as applied once it, or everything it replaces, is.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { MigrationStatusEntry } from '../files/migration-status.js';
import {
  type AppliedRow,
  type FileItem,
  isDir,
  isoTime,
  listDir,
  reconcile,
  tableExists,
  tableRef,
} from './common.js';
import type { FrameworkAdapter } from './types.js';

/** Folders never searched for apps (dependencies, virtualenvs, build output). */
const SKIP = new Set(['node_modules', 'vendor', 'venv', '.venv', 'env', 'dist', 'build', 'site-packages']);
/** Django's loader: every module of the package whose name does not start with `_` or `~`. */
const MODULE = /^[^_~.][^.]*\.py$/;
const MAX_DEPTH = 4;

export interface DjangoApp {
  /** The app label Django records (the package's last name; a custom AppConfig.label is not read). */
  label: string;
  /** Absolute path of its migrations package. */
  dir: string;
  /** Migration module names (file stems), sorted. */
  migrations: string[];
}

function isMigrationsPackage(dir: string): boolean {
  return basename(dir) === 'migrations' && existsSync(join(dir, '__init__.py'));
}

function appOf(dir: string): DjangoApp {
  const migrations = listDir(dir)
    .filter((f) => MODULE.test(f))
    .map((f) => f.slice(0, -3));
  return { label: basename(join(dir, '..')), dir, migrations };
}

/**
 * The project's apps with a migrations package, found under `root` (depth ≤ 4). `root` may also be one
 * app's `migrations` folder itself.
 */
export function djangoApps(root: string): DjangoApp[] {
  if (isMigrationsPackage(root)) return [appOf(root)];
  const apps: DjangoApp[] = [];
  const visit = (dir: string, depth: number) => {
    for (const e of listDir(dir)) {
      if (e.startsWith('.') || SKIP.has(e)) continue;
      const path = join(dir, e);
      if (!isDir(path)) continue;
      if (isMigrationsPackage(path)) {
        const app = appOf(path);
        if (app.migrations.length > 0) apps.push(app);
      } else if (depth < MAX_DEPTH) visit(path, depth + 1);
    }
  };
  visit(root, 1);
  return apps.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/** `replaces = [("app", "0001_x"), ...]` of a squashed migration, as `app.name` keys. */
function replaced(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const m = /^\s*replaces\s*=\s*\[([\s\S]*?)\]/m.exec(src);
  if (!m) return [];
  return [...m[1]!.matchAll(/\(\s*(['"])(.+?)\1\s*,\s*(['"])(.+?)\3\s*\)/g)].map((p) => `${p[2]}.${p[4]}`);
}

function split(label: string, module: string): FileItem {
  const m = /^(\d+)_(.*)$/.exec(module);
  return { key: `${label}.${module}`, version: `${label}.${module}`, name: m ? m[2]! : module, file: '' };
}

/** App by app (label order), then by the module's leading number, then by name. */
function byAppThenNumber(a: { key: string }, b: { key: string }): number {
  const [appA, modA] = [a.key.slice(0, a.key.indexOf('.')), a.key.slice(a.key.indexOf('.') + 1)];
  const [appB, modB] = [b.key.slice(0, b.key.indexOf('.')), b.key.slice(b.key.indexOf('.') + 1)];
  if (appA !== appB) return appA < appB ? -1 : 1;
  const nA = /^\d+/.exec(modA)?.[0];
  const nB = /^\d+/.exec(modB)?.[0];
  if (nA !== undefined && nB !== undefined && BigInt(nA) !== BigInt(nB))
    return BigInt(nA) < BigInt(nB) ? -1 : 1;
  return modA < modB ? -1 : modA > modB ? 1 : 0;
}

/**
 * A squashed migration is applied once it, or everything it replaces, is recorded; the migrations it
 * replaces whose files were deleted after squashing are history, not missing files.
 */
function withSquashes(rows: AppliedRow[], files: FileItem[], squashes: Map<string, string[]>): AppliedRow[] {
  const recorded = new Set(rows.map((r) => r.key));
  const fileKeys = new Set(files.map((f) => f.key));
  const covered = new Set<string>();
  const out = [...rows];
  for (const [squash, parts] of squashes) {
    for (const p of parts) if (!fileKeys.has(p)) covered.add(p);
    if (!recorded.has(squash) && parts.every((p) => recorded.has(p))) {
      const f = files.find((x) => x.key === squash)!;
      out.push({ ...f, state: 'applied', note: 'every migration it replaces is applied' });
    }
  }
  return out.filter((r) => fileKeys.has(r.key) || !covered.has(r.key));
}

interface Row {
  app: string;
  name: string;
  applied: unknown;
}

export const django: FrameworkAdapter = {
  name: 'django',
  detectFiles(dir) {
    return existsSync(join(dir, 'manage.py')) || isMigrationsPackage(dir);
  },
  async detectDatabase(client, table) {
    return tableExists(client, tableRef(table, 'django_migrations'));
  },
  async status(client, dir, table) {
    const ref = tableRef(table, 'django_migrations');
    const apps = djangoApps(dir);
    const labels = new Set(apps.map((a) => a.label));
    const files: FileItem[] = [];
    const squashes = new Map<string, string[]>();
    for (const app of apps) {
      for (const mod of app.migrations) {
        const item = split(app.label, mod);
        const path = join(app.dir, `${mod}.py`);
        item.file = relative(dir, path) || `${mod}.py`;
        files.push(item);
        const r = replaced(path);
        if (r.length > 0) squashes.set(item.key, r);
      }
    }
    const rows: AppliedRow[] = [];
    if (await tableExists(client, ref)) {
      const res = await client.query<Row>(`SELECT app, name, applied FROM ${ref.sql} ORDER BY id`);
      for (const r of res.rows) {
        if (!labels.has(r.app)) continue; // django.contrib and installed packages: not this project's files
        const row: AppliedRow = { ...split(r.app, r.name), state: 'applied' };
        const at = isoTime(r.applied);
        if (at) row.appliedAt = at;
        rows.push(row);
      }
    }
    const kept = withSquashes(rows, files, squashes);
    // Django orders by each app's dependency graph: out-of-order is judged within one app.
    const entries: MigrationStatusEntry[] = [];
    const appOfKey = (k: string) => k.slice(0, k.indexOf('.'));
    const allApps = [...new Set([...files, ...kept].map((x) => appOfKey(x.key)))].sort();
    for (const app of allApps) {
      const mine = (x: { key: string }) => appOfKey(x.key) === app;
      entries.push(
        ...reconcile(files.filter(mine), kept.filter(mine), { compare: byAppThenNumber, outOfOrder: true }),
      );
    }
    return { trackingTable: ref.display, entries, ignoredFiles: [] };
  },
};
