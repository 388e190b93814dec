// `pgward backup create|list|show|prune|verify|restore`: the commander definitions. The actions live in
// backup.run.ts, loaded only when a backup subcommand runs, so other commands do not pay for the backup
// modules at start-up. Every subcommand takes --json (one document on stdout); progress goes to stderr,
// and only on a TTY.
import { type Command, Option } from 'commander';
import { BACKUP_REASONS, type BackupReason } from '../../backup/manifest.js';
import { action } from '../context.js';

export interface StorageFlag {
  storage?: string;
}

export interface BackupCreateFlags extends StorageFlag {
  label?: string[];
  pin?: boolean;
  hash?: boolean;
  reason: BackupReason;
  /** `render-export`: take Render's logical export instead of running pg_dump against the database. */
  from?: 'render-export';
  /** With --from render-export: this export instead of a new one. */
  export?: string;
  /** With --from render-export: the server of the scratch database the export is restored into. */
  server?: string;
}

export interface BackupListFlags extends StorageFlag {
  all?: boolean;
}

export interface BackupPruneFlags extends StorageFlag {
  dryRun?: boolean;
  leftoverGrace?: string;
}

export interface BackupVerifyFlags extends StorageFlag {
  into?: string;
  /** commander turns --no-drill into drill: false */
  drill?: boolean;
  jobs?: number;
}

export interface BackupRestoreFlags extends StorageFlag {
  to: string;
  create?: string;
  clean?: boolean;
  overwriteProtected?: string;
  /** commander turns --no-owner into owner: false */
  owner?: boolean;
  jobs?: number;
}

const STORAGE_HELP = 'file://<dir> or s3://bucket/prefix (overrides backups.storage)';

const run = () => import('./backup.run.js');

export function registerBackup(program: Command): void {
  const backup = program
    .command('backup')
    .description('backups you can prove: create, list, show, prune, verify (restore drill), restore')
    .option('--storage <url>', STORAGE_HELP);
  // Accepted before or after the subcommand name: `backup --storage X list` and `backup list --storage X`.
  const sub = (name: string) => backup.command(name).option('--storage <url>', STORAGE_HELP);
  const withStorage = <F extends StorageFlag>(o: F): F => ({
    ...o,
    storage: o.storage ?? (backup.opts() as StorageFlag).storage,
  });
  defineCreate(sub('create'), withStorage);
  defineList(sub('list'), withStorage);
  defineShow(sub('show <id>'), withStorage);
  definePrune(sub('prune'), withStorage);
  defineVerify(sub('verify <id>'), withStorage);
  defineRestore(sub('restore <id>'), withStorage);
}

type WithStorage = <F extends StorageFlag>(o: F) => F;

function defineCreate(cmd: Command, withStorage: WithStorage): void {
  cmd
    .description(
      'pg_dump in one consistent snapshot, streamed to storage, with exact row counts in the manifest',
    )
    .option('--label <text...>', 'labels recorded in the manifest (repeatable)')
    .option('--pin', 'keep this backup forever (retention never deletes it)')
    .option('--hash', 'also record a per-table content hash (reads every table once more)')
    .addOption(
      new Option('--reason <reason>', 'why it was taken').choices([...BACKUP_REASONS]).default('manual'),
    )
    .addOption(
      new Option('--from <source>', "take the platform's own backup instead of pg_dump").choices([
        'render-export',
      ]),
    )
    .option('--export <id>', 'with --from render-export: this export (default: create one and wait for it)')
    .option(
      '--server <url>',
      "with --from render-export: server for the scratch copy it is checked in (default: the environment's)",
    )
    .action(action(async (ctx, o: BackupCreateFlags) => (await run()).runBackupCreate(ctx, withStorage(o))));
}

function defineList(cmd: Command, withStorage: WithStorage): void {
  cmd
    .description('the catalog, newest first (only backups with a manifest exist)')
    .option('--all', 'every environment (default: the selected one, when --env is given)')
    .action(action(async (ctx, o: BackupListFlags) => (await run()).runBackupList(ctx, withStorage(o))));
}

function defineShow(cmd: Command, withStorage: WithStorage): void {
  cmd
    .description('one backup: manifest, tables and last verification (id, unique prefix, or latest)')
    .action(
      action(async (ctx, id: string, o: StorageFlag) => (await run()).runBackupShow(ctx, id, withStorage(o))),
    );
}

function definePrune(cmd: Command, withStorage: WithStorage): void {
  cmd
    .description('apply the retention policy and remove leftovers of failed backups')
    .option('--dry-run', 'show what would be deleted and which rule decided, delete nothing')
    .option(
      '--leftover-grace <duration>',
      'leave objects without a manifest younger than this (default: backups.retention.leftover_grace or 1h)',
    )
    .action(action(async (ctx, o: BackupPruneFlags) => (await run()).runBackupPrune(ctx, withStorage(o))));
}

function defineVerify(cmd: Command, withStorage: WithStorage): void {
  cmd
    .description('checksum, pg_restore --list, and a restore drill compared table by table (id or latest)')
    .option('--into <url>', 'restore the drill into this empty database instead of a scratch one')
    .option('--no-drill', 'only the checksum and pg_restore --list')
    .option('--jobs <n>', 'pg_restore -j for the drill', (v) => Number(v))
    .action(
      action(async (ctx, id: string, o: BackupVerifyFlags) =>
        (await run()).runBackupVerify(ctx, id, withStorage(o)),
      ),
    );
}

function defineRestore(cmd: Command, withStorage: WithStorage): void {
  cmd
    .description('restore a backup (id or latest) into a new database, or an empty/--clean existing one')
    .requiredOption('--to <env|url>', 'environment name or postgres URL to restore to')
    .option('--create <name>', 'create this new database on the target server and restore into it')
    .option(
      '--clean',
      'replace the objects of the backup in a non-empty target (pg_restore --clean --if-exists)',
    )
    .option(
      '--overwrite-protected <env>',
      'required, with the environment name, to restore over a protected environment',
    )
    .option('--no-owner', 'skip ownership and grants (when the roles do not exist on the target)')
    .option('--jobs <n>', 'pg_restore -j (default: backups.restore.jobs or 2)', (v) => Number(v))
    .action(
      action(async (ctx, id: string, o: BackupRestoreFlags) =>
        (await run()).runBackupRestore(ctx, id, withStorage(o)),
      ),
    );
}
