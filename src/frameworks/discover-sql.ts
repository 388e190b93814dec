// Discovery of Rails (Gemfile + db/migrate), Flyway (flyway.conf / flyway.toml `locations`) and
// golang-migrate (folders of `<version>_<name>.up.sql` files).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { FrameworkLayout } from '../config/frameworks.js';
import { isDir, listDir } from './common.js';

export function discoverRails(root: string): FrameworkLayout[] {
  const marker = ['Gemfile', 'config/application.rb'].find((f) => existsSync(join(root, f)));
  const dir = join(root, 'db', 'migrate');
  if (!marker || !isDir(dir)) return [];
  const n = listDir(dir).filter((f) => /^\d+_.*\.rb$/.test(f)).length;
  return [
    {
      framework: 'rails',
      root,
      dir,
      evidence: `${marker} + db/migrate (${n} migration${n === 1 ? '' : 's'})`,
      details: {},
    },
  ];
}

const FLYWAY_CONFIGS = ['flyway.toml', 'flyway.conf', 'conf/flyway.toml', 'conf/flyway.conf'];
/** Where Maven and Gradle put `classpath:` resources. */
const RESOURCES = join('src', 'main', 'resources');

/** The `locations` of a flyway.conf (`flyway.locations=a,b`) or flyway.toml (`locations = ["a", "b"]`). */
export function flywayLocations(text: string): string[] {
  const conf = /^\s*flyway\.locations\s*=\s*(.+)$/m.exec(text)?.[1];
  if (conf !== undefined)
    return conf
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const toml = /^\s*locations\s*=\s*(\[[^\]]*\]|"[^"]*"|'[^']*')/m.exec(text)?.[1];
  if (toml === undefined) return [];
  return [...toml.matchAll(/(['"])([^'"]*)\1/g)].map((m) => m[2]!);
}

/** A location as a folder: `filesystem:x` from the project root, `classpath:x` under src/main/resources. */
function locationDir(root: string, location: string): string | undefined {
  const m = /^(filesystem|classpath):(.*)$/.exec(location);
  const kind = m ? m[1] : 'classpath';
  const path = m ? m[2]! : location;
  if (kind === 'filesystem') return resolve(root, path);
  return /^(s3|gcs|azure):/.test(location) ? undefined : resolve(root, RESOURCES, path);
}

export function discoverFlyway(root: string): FrameworkLayout[] {
  // A conf/ folder's flyway.conf belongs to the project above it (Flyway reads conf/flyway.conf from there).
  if (basename(root) === 'conf') return [];
  const cfg = FLYWAY_CONFIGS.find((f) => existsSync(join(root, f)));
  if (cfg) {
    const locations = flywayLocations(readFileSync(join(root, cfg), 'utf8'));
    const dirs = locations.map((l) => locationDir(root, l)).filter((d): d is string => d !== undefined);
    const dir = dirs[0] ?? join(root, 'sql');
    const evidence =
      locations.length === 0
        ? `${cfg} (no locations: Flyway's default sql/)`
        : `${cfg} locations = ${locations.join(', ')}`;
    return [{ framework: 'flyway', root, dir, evidence, details: { flywayConfig: join(root, cfg) } }];
  }
  // No config file: a Java project's migrations in Flyway's default classpath:db/migration.
  const classpath = join(root, RESOURCES, 'db', 'migration');
  if (isDir(classpath) && listDir(classpath).some((f) => /^V\d.*__.*\.sql$/.test(f)))
    return [
      {
        framework: 'flyway',
        root,
        dir: classpath,
        evidence: "src/main/resources/db/migration (Flyway's default classpath:db/migration)",
        details: {},
      },
    ];
  return [];
}

const GOLANG_UP = /^\d+_.*\.up\.sql$/;

/**
 * A folder of `<version>_<name>.up.sql` files is golang-migrate's; its project root is the nearest folder
 * up to `top` holding go.mod, else `top`.
 */
export function discoverGolangMigrate(dir: string, top: string): FrameworkLayout[] {
  const ups = listDir(dir).filter((f) => GOLANG_UP.test(f)).length;
  if (ups === 0) return [];
  let root = dir;
  while (!existsSync(join(root, 'go.mod')) && root !== top && dirname(root) !== root) root = dirname(root);
  if (!existsSync(join(root, 'go.mod'))) root = top;
  const downs = listDir(dir).filter((f) => /\.down\.sql$/.test(f)).length;
  return [
    {
      framework: 'golang-migrate',
      root,
      dir,
      evidence: `${ups} .up.sql / ${downs} .down.sql files`,
      details: {},
    },
  ];
}
