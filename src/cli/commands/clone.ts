// `pgward clone --from <env|url> --to <env|url>`: a consistent, masked, validated copy of a database.
import { type Command, Option } from 'commander';
import { action } from '../context.js';

export interface CloneFlags {
  from: string;
  to: string;
  table?: string[];
  excludeTable?: string[];
  excludeTableData?: string[];
  schemaOnly?: boolean;
  jobs: string;
  splitTablesLargerThan?: string;
  clean?: boolean;
  verify: 'count' | 'hash';
  compareOnly?: boolean;
  mask?: string[];
  /** `neon`: the target's Neon branch becomes a masked branch of the source's (docs/neon.md). */
  via?: 'neon';
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerClone(program: Command): void {
  program
    .command('clone')
    .description('copy a database into another: parallel COPY in one snapshot, masking on the way, validated')
    .requiredOption('--from <env|url>', 'source environment or URL (read only)')
    .requiredOption(
      '--to <env|url>',
      'target environment or URL (must be empty, or --clean; never protected)',
    )
    .option(
      '--table <pattern>',
      'copy only matching tables: schema.table or table, * and ? wildcards (repeatable)',
      collect,
    )
    .option('--exclude-table <pattern>', 'leave matching tables out entirely (repeatable)', collect)
    .option('--exclude-table-data <pattern>', 'copy matching tables empty (repeatable)', collect)
    .option('--schema-only', 'copy the schema, no rows')
    .option('-j, --jobs <n>', 'parallel COPY streams and index builds', '4')
    .option(
      '--split-tables-larger-than <size>',
      'copy tables larger than this in page ranges, several jobs per table (default 128MB; 0: never)',
    )
    .option('--clean', 'drop everything in the target first')
    .addOption(
      new Option('--verify <mode>', 'validation: row counts, or counts and content hashes')
        .choices(['count', 'hash'])
        .default('count'),
    )
    .option('--compare-only', 'copy nothing: validate the target against the source and list the differences')
    .option(
      '--mask <column=rule>',
      'extra masking rule, e.g. public.users.email=fake_email (repeatable)',
      collect,
    )
    .addOption(
      new Option(
        '--via <method>',
        "a Neon branch of the source's branch, masked in place, then the target's branch",
      ).choices(['neon']),
    )
    .action(action(async (ctx, flags: CloneFlags) => (await import('./clone.run.js')).run(ctx, flags)));
}
