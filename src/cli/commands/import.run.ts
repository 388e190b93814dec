// Implementation of `pgward import`: picks the source, runs the import with progress on a TTY, prints
// the plan / problems / written counts / proof, or one JSON document; exit 13 on invalid records,
// 10 when the proof does not match.
import { relative, resolve } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { importSettings } from '../../import/config.js';
import { type ImportProgress, type ImportResult, importData } from '../../import/import.js';
import { type RedisSnapshotServer, startSnapshotServer } from '../../import/snapshot.js';
import { JsonFilesSource, parseKindFrom } from '../../import/source-files.js';
import { RedisSource } from '../../import/source-redis.js';
import { mappingMigrationSql } from '../../import/target.js';
import type { ImportSource } from '../../import/types.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import type { ImportFlags } from './import.js';
import { printReport } from './import.run.report.js';

export async function run(ctx: Context, paths: string[], flags: ImportFlags): Promise<number> {
  const settings = importSettings(ctx.config);
  if (flags.emitMigration) return emitMigration(ctx, settings.mapping);
  const batchSize = flags.batchSize === undefined ? settings.batchSize : Number(flags.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000)
    throw new UsageError(`--batch-size ${flags.batchSize}: a whole number from 1 to 1000000`);
  if (flags.rejectFile && !flags.skipInvalid) throw new UsageError('--reject-file is for --skip-invalid');
  const target = ctx.target();
  let snapshot: RedisSnapshotServer | undefined;
  const sig = abortOnSignals();
  try {
    const tlsCa = flags.redisCa ? resolve(flags.redisCa) : settings.redisTlsCa;
    const source = await openSource(paths, flags, tlsCa, (s) => {
      snapshot = s;
    });
    try {
      const r = await importData({
        source,
        url: target.url,
        mapping: settings.mapping,
        schemas: settings.schemas,
        batchSize,
        dryRun: flags.dryRun === true,
        skipInvalid: flags.skipInvalid === true,
        rejectFile: flags.rejectFile ?? 'pgward-import-rejects.ndjson',
        signal: sig.signal,
        onProgress: progressPrinter(ctx),
        ...pauseForTests(),
      });
      return report(ctx, r);
    } finally {
      await source.close();
    }
  } finally {
    sig.dispose();
    await snapshot?.stop();
  }
}

/** PGWARD_IMPORT_PAUSE_MS (tests only): pause after each committed batch, so a run can be killed mid-way. */
function pauseForTests(): { pauseMs?: number } {
  const ms = Number(process.env.PGWARD_IMPORT_PAUSE_MS);
  return Number.isFinite(ms) && ms > 0 ? { pauseMs: ms } : {};
}

async function openSource(
  paths: string[],
  flags: ImportFlags,
  tlsCa: string | null,
  onSnapshot: (s: RedisSnapshotServer) => void,
): Promise<ImportSource> {
  const given = [paths.length > 0, flags.redis !== undefined, flags.snapshot !== undefined].filter(
    Boolean,
  ).length;
  if (given !== 1)
    throw new UsageError(
      'name one source: JSON paths, --redis <url> or --snapshot <file.rdb>',
      'pgward import config/ (files) or pgward import --redis redis://host:6379',
    );
  if (paths.length > 0) {
    if (flags.pattern) throw new UsageError('--pattern is for --redis and --snapshot');
    if (flags.redisCa) throw new UsageError('--redis-ca is for --redis with a rediss:// URL');
    if (flags.kindFrom === 'key')
      throw new UsageError('--kind-from key is for Redis; files take name, path or field:<name>');
    return new JsonFilesSource({
      paths,
      ndjson: flags.ndjson === true,
      kindFrom: parseKindFrom(flags.kindFrom, { by: 'name' }),
    });
  }
  const kindFrom = parseKindFrom(flags.kindFrom, { by: 'key' });
  if (kindFrom.by === 'name' || kindFrom.by === 'path')
    throw new UsageError(`--kind-from ${flags.kindFrom} is for files; Redis takes key or field:<name>`);
  const keyField = kindFrom.by === 'field' ? { keyField: kindFrom.field } : {};
  const pattern = flags.pattern ? { pattern: flags.pattern } : {};
  if (flags.snapshot) {
    if (flags.redisCa) throw new UsageError('--redis-ca is for --redis with a rediss:// URL');
    const server = await startSnapshotServer(flags.snapshot);
    onSnapshot(server);
    return new RedisSource({ url: server.url, ...pattern, ...keyField });
  }
  const url = typeof flags.redis === 'string' ? flags.redis : process.env.PGWARD_REDIS_URL;
  if (!url) throw new UsageError('--redis without a URL reads PGWARD_REDIS_URL, which is not set');
  return new RedisSource({ url, ...pattern, ...keyField, ...(tlsCa ? { tlsCa } : {}) });
}

function progressPrinter(ctx: Context): ((p: ImportProgress) => void) | undefined {
  if (!process.stderr.isTTY || ctx.out.quiet) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 200 && p.records !== p.total) return;
    last = now;
    const of = p.total !== undefined ? `/${p.total}` : '';
    process.stderr.write(
      `\r${p.phase}: ${p.records}${of} records\u001b[K${p.records === p.total ? '\n' : ''}`,
    );
  };
}

function report(ctx: Context, r: ImportResult): number {
  const code =
    r.status === 'invalid'
      ? ExitCode.invalidInput
      : r.status === 'mismatch'
        ? ExitCode.validationFailed
        : ExitCode.ok;
  if (ctx.out.json) ctx.out.document(r);
  else printReport(ctx, r);
  return code;
}

async function emitMigration(
  ctx: Context,
  mapping: ReturnType<typeof importSettings>['mapping'],
): Promise<number> {
  const { writeFileSync } = await import('node:fs');
  const { newMigration } = await import('../../migrate/scaffold.js');
  const dir = ctx.migrations().dir;
  const path = newMigration(dir, `create ${mapping.table.replace(/\./g, '_')}`);
  writeFileSync(path, mappingMigrationSql(mapping));
  if (ctx.out.json) ctx.out.document({ migration: path });
  else {
    ctx.out.line(`wrote ${relative(process.cwd(), path) || path}`);
    ctx.out.line('next: review it, then `pgward migrate` and run the import again');
  }
  return 0;
}
