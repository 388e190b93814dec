// `pgward import [paths...] | --redis <url> | --snapshot <file.rdb>`: JSON files or Redis into PostgreSQL,
// validated before anything is written, batched with checkpoints, proven after (docs/import.md).
import type { Command } from 'commander';
import { action } from '../context.js';

export interface ImportFlags {
  ndjson?: boolean;
  /** true = `--redis` without a value: the URL is read from PGWARD_REDIS_URL (kept out of argv). */
  redis?: string | boolean;
  pattern?: string;
  snapshot?: string;
  /** PEM file of the CA of a rediss:// server (overrides import.redis.tls_ca). */
  redisCa?: string;
  kindFrom?: string;
  dryRun?: boolean;
  skipInvalid?: boolean;
  rejectFile?: string;
  batchSize?: string;
  emitMigration?: boolean;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'import JSON files or Redis keys into a table (json_store by default): validated first, batched with checkpoints, proven by counts and hashes',
    )
    .argument('[paths...]', 'JSON files, folders or globs (one document per file; NDJSON for .ndjson/.jsonl)')
    .option('--ndjson', 'read every file as NDJSON (one document per line)')
    .option('--redis [url]', 'read Redis (redis:// or rediss://); without a value, from PGWARD_REDIS_URL')
    .option(
      '--redis-ca <file>',
      'with a rediss:// URL: PEM file of the CA that signed the server certificate (default import.redis.tls_ca)',
    )
    .option('--pattern <glob>', 'with --redis/--snapshot: the SCAN MATCH pattern (default *)')
    .option('--snapshot <file.rdb>', 'read an RDB dump (redis-cli --rdb) through a private redis-server')
    .option(
      '--kind-from <how>',
      'row key: name (file name, default), path, key (Redis key, default), field:<name>',
    )
    .option('--dry-run', 'validate and print the plan, counts and every problem; write nothing')
    .option('--skip-invalid', 'import the valid records; write the invalid ones to the reject file')
    .option('--reject-file <path>', 'with --skip-invalid (default pgward-import-rejects.ndjson)')
    .option('--batch-size <n>', 'records per transaction (default import.batch_size or 20000)')
    .option('--emit-migration', 'write the migration that creates the target table, then stop')
    .action(
      action(async (ctx, paths: string[], flags: ImportFlags) =>
        (await import('./import.run.js')).run(ctx, paths, flags),
      ),
    );
}
