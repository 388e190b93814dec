// The actions of `pgward backup …`: thin adapters over src/backup. Each resolves storage and the target,
// calls the library, and prints a human summary or one JSON document.
import { filterBackups, findBackup, readCatalog } from '../../backup/catalog.js';
// Heavy modules (zod config schema, pg, pg_dump/pg_restore drivers) load inside the actions, so that a
// subcommand pays only for what it uses. Catalog, manifest and storage helpers are light.
import type { BackupSettings } from '../../backup/config.js';
import type { BackupProgress } from '../../backup/create.js';
import type { BackupManifest } from '../../backup/manifest.js';
import type { PruneResult } from '../../backup/prune.js';
import { drillPassed } from '../../backup/retention.js';
import { openStorage, type Storage } from '../../backup/storage.js';
import { parseDuration } from '../../config/duration.js';
import { resolveTarget } from '../../config/target.js';
import { ExitCode, UsageError } from '../../errors.js';
import { formatBytes, formatDuration, SECONDS } from '../../format/units.js';
import type { Context } from '../context.js';
import { type Output, table } from '../output.js';
import { abortOnSignals } from '../signals.js';
import type {
  BackupCreateFlags,
  BackupListFlags,
  BackupPruneFlags,
  BackupRestoreFlags,
  BackupVerifyFlags,
  StorageFlag,
} from './backup.js';

async function storageOf(
  ctx: Context,
  flags: StorageFlag,
): Promise<{ storage: Storage; settings: BackupSettings }> {
  const { backupSettings } = await import('../../backup/config.js');
  const settings = backupSettings(ctx.config, flags.storage);
  return {
    storage: await openStorage(settings.storageUrl, { baseDir: settings.baseDir, s3: settings.s3 }),
    settings,
  };
}

// Backup sizes never go below MiB: archives are read in MiB, and a tiny one reads "0.0 MiB".
const mib = (bytes: number): string => formatBytes(bytes, { smallest: 'MiB' });
const secs = (ms: number): string => formatDuration(ms, SECONDS);

function progressLine(p: BackupProgress): string {
  const rate = p.elapsedMs > 0 ? p.bytes / (p.elapsedMs / 1000) : 0;
  return `dumping ${p.table ?? '…'} · ${mib(p.bytes)} · ${mib(rate)}/s · counted ${p.tablesCounted}/${p.tablesTotal} tables`;
}

export async function runBackupCreate(ctx: Context, o: BackupCreateFlags): Promise<number> {
  if (o.from === 'render-export')
    return (await import('./backup.run.render.js')).runRenderExportBackup(ctx, o);
  const target = ctx.target();
  const tty = process.stderr.isTTY === true && !ctx.out.quiet;
  const sig = abortOnSignals();
  try {
    const { createBackupForTarget } = await import('../../backup/for-target.js');
    const m = await createBackupForTarget({
      config: ctx.config,
      target,
      storage: o.storage,
      reason: o.reason,
      labels: o.label ?? [],
      pin: o.pin === true,
      hash: o.hash === true,
      signal: sig.signal,
      onIdentified: (t) => ctx.out.info(`backing up ${t.env ?? 'database'}`),
      onProgress: tty ? (p) => process.stderr.write(`\r\u001b[2K${progressLine(p)}`) : undefined,
    });
    if (tty) process.stderr.write('\r\u001b[2K');
    if (ctx.out.json) ctx.out.document(m);
    else printManifest(ctx.out, m);
    return ExitCode.ok;
  } finally {
    if (tty) process.stderr.write('\r\u001b[2K');
    sig.dispose();
  }
}

export async function runBackupList(ctx: Context, o: BackupListFlags): Promise<number> {
  const { storage } = await storageOf(ctx, o);
  const catalog = await readCatalog(storage);
  const list = filterBackups(catalog.backups, { env: o.all ? undefined : ctx.flags.env });
  if (ctx.out.json) {
    ctx.out.document({
      storage: storage.url,
      backups: list,
      leftovers: catalog.leftovers,
      unreadable: catalog.unreadable,
      missingArchives: catalog.missingArchives,
    });
  } else {
    printList(ctx.out, list, storage.url, new Set(catalog.missingArchives));
    if (catalog.leftovers.length)
      ctx.out.warn(
        `${catalog.leftovers.length} leftover object(s) of failed backups: \`pgward backup prune\` removes them`,
      );
  }
  for (const u of catalog.unreadable) ctx.out.warn(`${u.key}: ${u.error}`);
  return catalog.unreadable.length ? ExitCode.runtime : ExitCode.ok;
}

export async function runBackupShow(ctx: Context, id: string, o: StorageFlag): Promise<number> {
  const { storage } = await storageOf(ctx, o);
  const m = await findBackup(storage, id, { env: catalogEnv(ctx) });
  if (ctx.out.json) ctx.out.document(m);
  else printManifest(ctx.out, m, true);
  return ExitCode.ok;
}

export async function runBackupPrune(ctx: Context, o: BackupPruneFlags): Promise<number> {
  const { storage, settings } = await storageOf(ctx, o);
  let grace = settings.leftoverGraceMs;
  if (o.leftoverGrace !== undefined) {
    try {
      grace = parseDuration(o.leftoverGrace) ?? 0;
    } catch (err) {
      throw new UsageError(`--leftover-grace: ${(err as Error).message}`);
    }
  }
  const { pruneBackups } = await import('../../backup/prune.js');
  const r = await pruneBackups({
    storage,
    rules: settings.retention,
    filter: { env: ctx.flags.env },
    dryRun: o.dryRun === true,
    leftoverGraceMs: grace,
  });
  // Anything prune could not read, check or delete fails the run (exit 1), in JSON too.
  const code = r.ok ? ExitCode.ok : ExitCode.runtime;
  if (ctx.out.json) ctx.out.document(r);
  else printPrune(ctx.out, r);
  return code;
}

function printPrune(out: Output, r: PruneResult): void {
  const { c } = out;
  const rows = r.decisions.map((d) => [
    d.id,
    d.env ?? '',
    d.keep
      ? c.green('keep')
      : c.red(r.dryRun ? 'would delete' : r.deleted.includes(d.id) ? 'deleted' : 'KEPT'),
    d.rule,
  ]);
  if (rows.length) out.line(table(['ID', 'ENV', 'DECISION', 'RULE'], rows));
  for (const l of r.leftovers) {
    out.line(
      `${l.removed ? 'removed' : r.dryRun ? 'would remove' : 'kept'} leftover ${l.key} (${mib(l.size)}): ${l.reason}`,
    );
  }
  for (const s of r.skipped) out.warn(`kept ${s.id}: ${s.reason}`);
  for (const e of r.errors) out.error(`${e.key}: ${e.error} (kept)`);
  const planned = r.decisions.filter((d) => !d.keep).length;
  const n = r.dryRun ? planned : r.deleted.length;
  out.line(
    `${r.dryRun ? 'dry run: ' : ''}${n} backup(s) ${r.dryRun ? 'would be ' : ''}deleted, ${r.decisions.length - n} kept`,
  );
  if (!r.ok)
    out.error(`prune incomplete: ${r.errors.length} problem(s) above; nothing they concern was deleted`);
}

export async function runBackupVerify(ctx: Context, id: string, o: BackupVerifyFlags): Promise<number> {
  const { storage, settings } = await storageOf(ctx, o);
  const target =
    o.into && !ctx.flags.env && !ctx.flags.url && !ctx.config
      ? undefined
      : tryTarget(ctx, o.drill !== false && !o.into);
  const { verifyBackup } = await import('../../backup/verify.js');
  const sig = abortOnSignals();
  const r = await verifyBackup({
    storage,
    ref: id,
    env: catalogEnv(ctx),
    serverUrl: target?.url,
    intoUrl: o.into,
    config: ctx.config,
    drill: o.drill !== false,
    jobs: o.jobs ?? settings.restoreJobs,
    signal: sig.signal,
    onStep: (step, detail) => ctx.out.info(`verify: ${step}${detail ? ` ${detail}` : ''}`),
  }).finally(sig.dispose);
  if (ctx.out.json) ctx.out.document(r);
  else {
    const { c } = ctx.out;
    const mark = (v: boolean | null) => (v === null ? c.dim('skipped') : v ? c.green('ok') : c.red('FAILED'));
    ctx.out.line(
      `backup ${r.id}: sha256 ${mark(r.checks.sha256)} · pg_restore --list ${mark(r.checks.list)} · restore drill ${mark(r.checks.drill)} (${r.tablesChecked} tables, ${secs(r.durationMs)})`,
    );
    if (r.firstDifference) ctx.out.line(c.red(r.firstDifference));
    ctx.out.line(
      r.ok
        ? c.green('verified: result recorded in the catalog')
        : c.red('verification failed: result recorded in the catalog'),
    );
  }
  // A backup that cannot be proven is a validation failure (10), not a crash of pgward (1).
  return r.ok ? ExitCode.ok : ExitCode.validationFailed;
}

export async function runBackupRestore(ctx: Context, id: string, o: BackupRestoreFlags): Promise<number> {
  const { storage, settings } = await storageOf(ctx, o);
  const to = /^postgres(ql)?:\/\//i.test(o.to)
    ? resolveTarget({ config: ctx.config, url: o.to })
    : resolveTarget({ config: ctx.config, env: o.to });
  if (o.jobs !== undefined && !(Number.isInteger(o.jobs) && o.jobs >= 1))
    throw new UsageError('--jobs must be a positive integer');
  const { restoreBackup } = await import('../../backup/restore.js');
  const sig = abortOnSignals();
  const r = await restoreBackup({
    storage,
    ref: id,
    sourceEnv: catalogEnv(ctx),
    targetUrl: to.url,
    targetEnv: to.env,
    targetProtected: to.protected,
    config: ctx.config,
    create: o.create,
    clean: o.clean === true,
    overwriteProtected: o.overwriteProtected,
    noOwner: o.owner === false,
    jobs: o.jobs ?? settings.restoreJobs,
    signal: sig.signal,
    onStep: (step, detail) => ctx.out.info(`restore: ${step}${detail ? ` ${detail}` : ''}`),
  }).finally(sig.dispose);
  if (ctx.out.json) ctx.out.document(r);
  else
    ctx.out.line(
      ctx.out.c.green(
        `restored ${r.id} into ${r.database}${r.created ? ' (new database)' : ''}: ${r.tables} tables, ${r.rows} rows, counts match (${secs(r.durationMs)})`,
      ),
    );
  return ExitCode.ok;
}

/**
 * The environment whose backups `latest` means: --env (or PGWARD_ENV), else the config's default_env or
 * its only environment, as for every other command; with no config at all, every backup.
 */
function catalogEnv(ctx: Context): string | undefined {
  const named = ctx.flags.env ?? process.env.PGWARD_ENV;
  if (named) return named;
  const raw = ctx.config?.raw;
  if (!raw) return undefined;
  const names = Object.keys(raw.environments ?? {});
  return raw.default_env ?? (names.length === 1 ? names[0] : undefined);
}

/** The environment's target when one can be resolved; required only when `needed`. */
function tryTarget(ctx: Context, needed: boolean) {
  try {
    return ctx.target();
  } catch (err) {
    if (needed) throw err;
    return undefined;
  }
}

function verifiedLabel(out: Output, m: BackupManifest): string {
  const v = m.verification;
  if (!v) return out.c.dim('never');
  return v.ok ? out.c.green(drillPassed(m) ? 'drill ok' : 'checksum ok') : out.c.red('FAILED');
}

function printList(out: Output, list: BackupManifest[], where: string, missing: Set<string>): void {
  if (list.length === 0) {
    out.line(`no backups in ${where} (pgward backup create takes one)`);
    return;
  }
  const rows = list.map((m) => [
    m.id,
    m.env ?? '',
    m.database,
    m.startedAt.replace('T', ' ').slice(0, 19),
    mib(m.archive.bytes),
    m.reason,
    m.pinned ? 'pinned' : '',
    missing.has(m.id) ? out.c.red('ARCHIVE MISSING') : verifiedLabel(out, m),
    m.labels.join(','),
  ]);
  out.line(
    table(['ID', 'ENV', 'DATABASE', 'STARTED (UTC)', 'SIZE', 'REASON', 'PIN', 'VERIFIED', 'LABELS'], rows),
  );
}

export function printManifest(out: Output, m: BackupManifest, detailed = false): void {
  const { c } = out;
  const rows = m.tables.reduce((n, t) => n + t.rows, 0);
  out.line(`${c.bold(`backup ${m.id}`)}  ${m.env ?? ''} ${c.dim(m.database)}`);
  out.line(
    `  taken ${m.startedAt} in ${secs(m.durationMs)} · ${m.reason}${m.pinned ? ' · pinned' : ''}${m.labels.length ? ` · labels ${m.labels.join(', ')}` : ''}`,
  );
  out.line(`  archive ${m.archive.key} · ${mib(m.archive.bytes)} · sha256 ${m.archive.sha256}`);
  out.line(
    `  server ${m.server.version} · pg_dump ${m.pgDump.version} · ${m.tables.length} tables, ${rows} rows${m.hashAlgorithm ? ' (with content hashes)' : ''}`,
  );
  out.line(
    `  latest migration ${m.latestMigration ? `${m.latestMigration.version} (${m.latestMigration.table})` : 'none found'}`,
  );
  out.line(
    `  verified ${verifiedLabel(out, m)}${m.verification ? ` at ${m.verification.at}${m.verification.firstDifference ? `: ${m.verification.firstDifference}` : ''}` : ''}`,
  );
  if (detailed && m.tables.length) {
    out.line();
    out.line(
      table(
        ['TABLE', 'ROWS', 'HASH'],
        m.tables.map((t) => [`${t.schema}.${t.name}`, String(t.rows), t.hash ?? '']),
      ),
    );
  }
}
