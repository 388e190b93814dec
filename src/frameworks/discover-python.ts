// Discovery of the Python frameworks: Alembic (alembic.ini's script_location) and Django (manage.py and
// the apps' migrations packages).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { FrameworkLayout } from '../config/frameworks.js';
import { djangoApps } from './django.js';

/** The options of one `[section]` of an ini file (ConfigParser style: `key = value` or `key: value`). */
export function iniSection(text: string, section: string): Map<string, string> {
  const out = new Map<string, string>();
  let inside = false;
  let last: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+[#;].*$/, '');
    const head = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (head) {
      inside = head[1]!.trim() === section;
      last = undefined;
      continue;
    }
    if (!inside || /^\s*([#;]|$)/.test(line)) continue;
    // An indented line continues the previous value.
    if (/^\s/.test(line) && last !== undefined) {
      out.set(last, `${out.get(last)} ${line.trim()}`.trim());
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv) {
      last = kv[1]!.trim();
      out.set(last, kv[2]!.trim());
    }
  }
  return out;
}

/**
 * Where a `script_location` points: `%(here)s` is the ini's folder, a relative path is read from the ini's
 * folder (where `alembic` is run), and `package:path` is a folder of that package under the project.
 */
function scriptDir(root: string, location: string): string {
  const value = location.replace(/%\(here\)s/g, root);
  const pkg = /^([A-Za-z_][\w.]*):(.+)$/.exec(value);
  if (pkg && !isAbsolute(value)) return resolve(root, ...pkg[1]!.split('.'), pkg[2]!);
  return resolve(root, value);
}

/** Alembic's options: alembic.ini's [alembic], else pyproject.toml's [tool.alembic] (Alembic ≥ 1.16). */
function alembicOptions(root: string): { file: string; options: Map<string, string> } | undefined {
  const ini = join(root, 'alembic.ini');
  if (existsSync(ini))
    return { file: 'alembic.ini', options: iniSection(readFileSync(ini, 'utf8'), 'alembic') };
  const pyproject = join(root, 'pyproject.toml');
  if (!existsSync(pyproject)) return undefined;
  const options = iniSection(readFileSync(pyproject, 'utf8'), 'tool.alembic');
  if (!options.has('script_location')) return undefined;
  // TOML strings are quoted; version_locations may be an array.
  for (const [k, v] of options)
    options.set(
      k,
      v
        .replace(/^\[|\]$/g, '')
        .replace(/["']/g, '')
        .trim(),
    );
  return { file: 'pyproject.toml [tool.alembic]', options };
}

export function discoverAlembic(root: string): FrameworkLayout[] {
  const found = alembicOptions(root);
  if (!found) return [];
  const { file, options } = found;
  const location = options.get('script_location');
  if (location === undefined) return flaskMigrate(root, join(root, 'alembic.ini'));
  const script = scriptDir(root, location);
  // version_locations overrides <script_location>/versions; the first folder is the one read.
  const versionLocations = options.get('version_locations');
  const first = versionLocations
    ?.replace(/%\(here\)s/g, root)
    .split(/[\s,]+/)
    .find((p) => p !== '');
  const dir = first !== undefined ? resolve(root, first) : join(script, 'versions');
  const details: Record<string, string> = {
    alembicConfig: join(root, file.split(' ')[0]!),
    alembicScriptLocation: script,
  };
  if (file === 'alembic.ini') details.alembicIni = join(root, 'alembic.ini');
  return [
    {
      framework: 'alembic',
      root,
      dir,
      evidence: `${file} script_location = ${location}${first !== undefined ? `, version_locations = ${first}` : ''}`,
      details,
    },
  ];
}

/**
 * Flask-Migrate keeps alembic.ini inside the migrations folder without a script_location (it passes the
 * folder itself): env.py and versions/ beside the ini. The project root is the folder above, where
 * `flask db upgrade` runs.
 */
function flaskMigrate(folder: string, ini: string): FrameworkLayout[] {
  if (!existsSync(join(folder, 'env.py')) || !existsSync(join(folder, 'versions'))) return [];
  return [
    {
      framework: 'alembic',
      root: dirname(folder),
      dir: join(folder, 'versions'),
      evidence: `${basename(folder)}/alembic.ini without script_location, env.py beside it (Flask-Migrate)`,
      details: { alembicIni: ini, alembicScriptLocation: folder },
    },
  ];
}

/** `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x.settings")` in manage.py. */
export function djangoSettingsModule(managePy: string): string | undefined {
  const m = /DJANGO_SETTINGS_MODULE['"]\s*,\s*(['"])([\w.]+)\1/.exec(managePy);
  return m?.[2];
}

export function discoverDjango(root: string): FrameworkLayout[] {
  const manage = join(root, 'manage.py');
  if (!existsSync(manage)) return [];
  const src = readFileSync(manage, 'utf8');
  if (!/django/i.test(src)) return [];
  const apps = djangoApps(root);
  const details: Record<string, string> = { managePy: manage };
  const settings = djangoSettingsModule(src);
  if (settings !== undefined) details.djangoSettings = settings;
  details.djangoApps = apps.map((a) => `${a.label}=${relative(root, a.dir)}`).join(',');
  const names = apps.map((a) => a.label);
  return [
    {
      framework: 'django',
      root,
      dir: root,
      evidence: `manage.py${settings ? ` (${settings})` : ''} + ${apps.length} app migrations package${apps.length === 1 ? '' : 's'}${names.length ? ` (${names.join(', ')})` : ''}`,
      details,
    },
  ];
}
