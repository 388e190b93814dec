import { readFileSync } from 'node:fs';

// Read from package.json at run time so the recorded version can never disagree with the package.
export const PGWARD_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
