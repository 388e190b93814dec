// golang-migrate: `<version>_<title>.up.sql` is sent as one multi-statement simple Query (lib/pq
// simpleExec), i.e. one implicit transaction. The `.down.sql` is never run forward, so it is never read.
import { readFileSync } from 'node:fs';
import { listDir } from '../common.js';
import { absolute, fromFiles, nothingRead, type PendingRef, type StaticMigration } from './types.js';

const UP = /^([0-9]+)_.*\.up\.sql$/;

/** The .up.sql of `version`: the adapter's file when it is one, else found by its version number. */
function upFile(dir: string, m: PendingRef): string | undefined {
  if (m.file?.endsWith('.up.sql')) return absolute(dir, m.file);
  const want = /^\d+$/.test(m.version) ? BigInt(m.version) : undefined;
  const found = listDir(dir).find((f) => {
    const v = UP.exec(f)?.[1];
    return v !== undefined && want !== undefined && BigInt(v) === want;
  });
  return found === undefined ? undefined : absolute(dir, found);
}

export function readGolangMigrate(dir: string, m: PendingRef): StaticMigration {
  const file = upFile(dir, m);
  if (file === undefined)
    return nothingRead(m.version, `no ${m.version}_*.up.sql in ${dir}: nothing to read`);
  const notes: string[] = [];
  const sql = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (/\$\w*\$/.test(sql))
    notes.push(
      'dollar-quoted bodies: with x-multi-statement=true golang-migrate splits on every ";" and breaks them — keep the default mode',
    );
  return fromFiles(m.version, [file], sql, true, notes);
}
