// Flyway: each `V<version>__<desc>.sql` runs in its own transaction, unless `<file>.conf` says
// `executeInTransaction=false` or Flyway's parser detects a statement that cannot run in one
// (PostgreSQLParser#detectCanExecuteInTransaction); with the default `mixed=false` Flyway then refuses a
// file that also holds transactional statements.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { splitStatements } from '../../sql/split.js';
import {
  absolute,
  fromFiles,
  type PendingRef,
  REHEARSE,
  type StaticContext,
  type StaticMigration,
} from './types.js';

const NON_TRANSACTIONAL: RegExp[] = [
  /^(CREATE|DROP)\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\b/i,
  /^REINDEX\s+(\([^)]*\)\s*)?(SCHEMA|DATABASE|SYSTEM)\b/i,
  /^REINDEX\b.*\bCONCURRENTLY\b/is,
  /^VACUUM\b/i,
  /^ALTER\s+SYSTEM\b/i,
  /^(CREATE|DROP)\s+(DATABASE|TABLESPACE|SUBSCRIPTION)\b/i,
  /^DISCARD\s+ALL\b/i,
];

/** `executeInTransaction` from the script's .conf file (Java properties), if set. */
function confSetting(conf: string): boolean | undefined {
  for (const raw of conf.split(/\r?\n/)) {
    const m = /^\s*executeInTransaction\s*[=:]\s*(\S+)\s*$/.exec(raw);
    if (m) return m[1]!.toLowerCase() !== 'false';
  }
  return undefined;
}

/** Statement texts without leading comments (the parser's split; a raw fallback when it cannot parse). */
function statementTexts(sql: string): string[] {
  const split = splitStatements(sql);
  const texts = split.ok ? split.statements.map((s) => s.sql) : sql.split(';');
  return texts.map((t) => t.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, '').trim()).filter(Boolean);
}

/** `mixed = true` in the project's Flyway configuration (flyway.conf `flyway.mixed=true` or flyway.toml). */
function mixedAllowed(ctx: StaticContext | undefined): boolean {
  const config = ctx?.details?.flywayConfig;
  if (config === undefined) return false;
  const path = resolve(ctx!.root, config);
  if (!existsSync(path)) return false;
  return /^\s*(flyway\.)?mixed\s*[=:]\s*"?true"?\s*$/im.test(readFileSync(path, 'utf8'));
}

export function readFlyway(dir: string, m: PendingRef, ctx?: StaticContext): StaticMigration {
  const file = absolute(dir, m.file ?? `V${m.version}__.sql`);
  const sql = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const files = [file];
  const notes: string[] = [];
  const confPath = `${file}.conf`;
  let wrapped = true;
  if (existsSync(confPath)) {
    files.push(confPath);
    const setting = confSetting(readFileSync(confPath, 'utf8'));
    if (setting !== undefined) wrapped = setting;
  }
  const stmts = statementTexts(sql);
  const nonTx = stmts.filter((s) => NON_TRANSACTIONAL.some((re) => re.test(s)));
  if (wrapped && nonTx.length > 0) {
    wrapped = false;
    notes.push('Flyway runs this file without a transaction: it holds a statement that cannot run in one');
    if (nonTx.length < stmts.length && !mixedAllowed(ctx))
      notes.push(
        'Flyway refuses to mix transactional and non-transactional statements in one file unless mixed=true: move the non-transactional one to its own file',
      );
  }
  if (/\$\{[\w.]+\}/.test(sql))
    notes.push(
      `Flyway placeholders (\${…}) are replaced when it runs: their values are not known here — ${REHEARSE}`,
    );
  return fromFiles(m.version, files, sql, wrapped, notes);
}
