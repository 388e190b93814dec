// The `import:` section of pgward.yaml resolved: the target mapping (the seed's json_store by default),
// schema files resolved against the config's folder, the batch size.
import { resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { DEFAULT_MAPPING, type ImportMapping } from './types.js';

export interface ImportSettings {
  mapping: ImportMapping;
  /** kind → absolute path of its JSON Schema. */
  schemas: Record<string, string>;
  batchSize: number;
  /** The CA file (absolute) for a rediss:// source whose certificate a private CA signed. */
  redisTlsCa: string | null;
}

/**
 * Defaults: table json_store (kind text key, data jsonb, updated_at), no schemas, 20000 records per batch.
 *
 * @example
 * ```ts
 * import { importSettings, loadConfig } from 'pgward';
 * const s = importSettings(loadConfig('pgward.yaml'));
 * console.log(s.mapping.table, Object.keys(s.schemas));
 * ```
 */
export function importSettings(config: LoadedConfig | undefined): ImportSettings {
  const raw = config?.raw.import ?? {};
  const base = config?.baseDir ?? process.cwd();
  return {
    mapping: {
      table: raw.table ?? DEFAULT_MAPPING.table,
      keyColumn: raw.key_column ?? DEFAULT_MAPPING.keyColumn,
      dataColumn: raw.data_column ?? DEFAULT_MAPPING.dataColumn,
      updatedAtColumn:
        raw.updated_at_column === undefined ? DEFAULT_MAPPING.updatedAtColumn : raw.updated_at_column,
      columns: raw.columns ?? {},
    },
    schemas: Object.fromEntries(Object.entries(raw.schemas ?? {}).map(([k, p]) => [k, resolve(base, p)])),
    batchSize: raw.batch_size ?? 20_000,
    redisTlsCa: raw.redis?.tls_ca ? resolve(base, raw.redis.tls_ca) : null,
  };
}
