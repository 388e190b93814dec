// Loading pgward.yaml against the whole schema (every capability's section). The YAML reading and the
// file:line error messages live in src/config/load.ts; this only binds them to the assembled schema.
import { type LoadedConfig, loadConfigWith, parseConfigTextWith } from '../config/load.js';
import { configSchema } from './schema.js';

export { CONFIG_NAMES, findConfig, type LoadedConfig } from '../config/load.js';

export function loadConfig(path: string): LoadedConfig {
  return loadConfigWith(configSchema, path);
}

export function parseConfigText(text: string, abs: string, shown = abs): LoadedConfig {
  return parseConfigTextWith(configSchema, text, abs, shown);
}
